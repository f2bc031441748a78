/**
 * Benchmark: the idle footprint of `builder-bar serve` with a ready builder, over a window
 * (60 s by default): CPU share and resident memory of the core process, next to a bare Node
 * process that only keeps an event loop alive, sampled the same way in the same run.
 */
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { measureFootprint, type Footprint } from './processSample.js';

export interface IdleFootprintResult {
  core: Footprint;
  bareNode: Footprint;
}

export async function benchIdleFootprint(binJs: string, stateDir: string, windowMs: number): Promise<IdleFootprintResult> {
  const serve = execa('node', [binJs, '--state-dir', stateDir, 'serve', '--port', '0'], { reject: false, all: true });
  const bare = execa('node', ['-e', 'setInterval(() => {}, 1000)'], { reject: false });
  try {
    await waitForLine(serve, /is serving on/);
    const start = await execa('node', [binJs, '--state-dir', stateDir, 'start', '--wait', '--timeout', '600'], { reject: false });
    if (start.exitCode !== 0) throw new Error(`start --wait failed: ${start.stdout}\n${start.stderr}`);
    // Let start-up work (guest stats, first probes) settle before the window opens.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const [core, bareNode] = await Promise.all([measureFootprint(serve.pid!, windowMs), measureFootprint(bare.pid!, windowMs)]);
    return { core, bareNode };
  } finally {
    await execa('node', [binJs, '--state-dir', stateDir, 'stop', '--force'], { reject: false });
    serve.kill('SIGTERM');
    bare.kill('SIGKILL');
    await Promise.all([serve, bare]);
  }
}

function waitForLine(child: ResultPromise, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        child.all?.off('data', onData);
        resolve();
      }
    };
    child.all?.on('data', onData);
    child.then(() => reject(new Error(`serve exited before it was ready:\n${seen}`)), reject);
  });
}

export const defaultBinJs = path.resolve('out', 'electron', 'cli', 'bin.js');
