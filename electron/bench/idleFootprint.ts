/**
 * Benchmark: the idle footprint of `builder-bar serve` with a ready builder, over a window
 * (60 s by default): CPU share and resident memory of the core process, next to a bare Node
 * process that only keeps an event loop alive, sampled the same way in the same run.
 *
 * Two ways the builder became ready, because they leave the core different: `restore` (the
 * usual start: the first start saved a snapshot, this one restores it) and `first` (a state dir
 * with no snapshot: a cold boot that saves one; `cat` copies the state, the core hashes the file
 * on a worker).
 */
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { measureFootprint, type Footprint } from './processSample.js';

export interface IdleFootprintResult {
  core: Footprint;
  bareNode: Footprint;
}

export type ReadyBy = 'restore' | 'first';

export async function benchIdleFootprint(binJs: string, stateDir: string, windowMs: number, readyBy: ReadyBy): Promise<IdleFootprintResult> {
  const serve = execa('node', [binJs, '--state-dir', stateDir, 'serve', '--port', '0'], { reject: false, all: true });
  const bare = execa('node', ['-e', 'setInterval(() => {}, 1000)'], { reject: false });
  try {
    await waitForLine(serve, /is serving on/);
    const cli = async (...args: string[]): Promise<void> => {
      const result = await execa('node', [binJs, '--state-dir', stateDir, ...args], { reject: false });
      if (result.exitCode !== 0) throw new Error(`${args.join(' ')} failed: ${result.stdout}\n${result.stderr}`);
    };
    if (readyBy === 'restore') {
      // A start and a stop first, so this state dir holds a snapshot (one from an earlier section does as well).
      await cli('start', '--wait', '--timeout', '600');
      await cli('stop');
    }
    await cli('start', '--wait', '--timeout', '600');
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
