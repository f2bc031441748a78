/**
 * The on-demand builder's figures: a terminal `nix-build --max-jobs 0` through the wiring with
 * the builder stopped (the ProxyCommand starts it, restoring its snapshot) against the same build
 * on a ready builder, and QEMU's resident memory while ready against after the idle stop (no
 * process: 0).
 * The core runs here with its CLI socket open, as `serve` would; idle stop is 1 minute.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { Core } from '../core/core.js';
import { createCore } from '../core/createCore.js';
import { runNixCommand } from '../doors/cli/nixCommand.js';
import { SocketDoor } from '../doors/socket/socketDoor.js';
import { snapshotFilesIn } from '../core/vm/snapshot/snapshotStore.js';
import { sampleProcess } from './processSample.js';

export interface OnDemandFigures {
  fromStoppedMs: number[];
  onReadyMs: number[];
  qemuRssReadyBytes: number;
  /** After the idle stop: 0 when no QEMU process is left. */
  qemuRssAfterIdleBytes: number;
}

/** Waits until the core's builder is in `state` (status events, no polling). */
function stateReached(core: Core, state: string): Promise<void> {
  return new Promise((resolve) => {
    const unsubscribe = core.subscribe((event) => {
      if (event.name === 'status' && event.payload.state === state) {
        unsubscribe();
        resolve();
      }
    });
    core.handle('status.get', {}, 'cli').then(
      (status) => {
        if (status.state === state) {
          unsubscribe();
          resolve();
        }
      },
      () => undefined,
    );
  });
}

async function timedBuild(stateDir: string, nixBuild: string): Promise<number> {
  const nonce = randomBytes(8).toString('hex');
  const file = path.join(stateDir, `bench-on-demand-${nonce}.nix`);
  await fs.writeFile(file, `builtins.derivation { name = "bench-on-demand-${nonce}"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo ${nonce} > $out" ]; }\n`);
  const confDir = path.join(stateDir, 'nixconf');
  const started = performance.now();
  const result = await execa(nixBuild, [file, '--max-jobs', '0', '--no-out-link', '--option', 'substituters', ''], {
    env: { NIX_CONF_DIR: confDir, NIX_SSHOPTS: `-F ${path.join(confDir, 'ssh_config')}` },
    reject: false,
    stdin: 'ignore',
  });
  const elapsed = performance.now() - started;
  if (result.exitCode !== 0) throw new Error(`nix-build failed: ${String(result.stderr)}`);
  return elapsed;
}

async function snapshotSavedAt(stateDir: string): Promise<number | null> {
  const text = await fs.readFile(snapshotFilesIn(path.join(stateDir, 'vm')).record, 'utf8').catch(() => null);
  return text === null ? null : (JSON.parse(text) as { savedAt: number }).savedAt;
}

export async function benchOnDemand(stateDir: string, nixBuild: string, rounds: number): Promise<OnDemandFigures> {
  const core = await createCore({ stateDir });
  const door = await SocketDoor.open({ core, socketPath: core.paths.socketPath });
  try {
    await core.handle('settings.set', { patch: { onDemand: true, idleStopMinutes: 1, nixBinDir: path.dirname(nixBuild), hostPortAuto: true } }, 'cli');
    const io = { out: () => undefined, err: (line: string) => console.error(line), env: process.env, signal: new AbortController().signal };
    if ((await runNixCommand(['apply', '--conf-dir', path.join(stateDir, 'nixconf'), '--state-dir', stateDir], io)) !== 0) throw new Error('nix apply failed');
    // Primed as a user's builder is after its first start: the image built and a snapshot saved
    // (a ready cold boot saves it), so a stopped builder restores rather than boots cold.
    const ready = await core.handle('vm.start', { wait: true, timeoutSeconds: 900 }, 'cli');
    if (ready.state !== 'ready') throw new Error(`the builder did not become ready: ${JSON.stringify(ready.error)}`);
    await core.handle('vm.stop', {}, 'cli');
    const figures: OnDemandFigures = { fromStoppedMs: [], onReadyMs: [], qemuRssReadyBytes: 0, qemuRssAfterIdleBytes: 0 };
    for (let round = 0; round < rounds; round += 1) {
      await stateReached(core, 'stopped');
      const saved = await snapshotSavedAt(stateDir);
      if (saved === null) throw new Error('no snapshot of the builder to restore (the app log says why)');
      figures.fromStoppedMs.push(await timedBuild(stateDir, nixBuild));
      // A "from stopped" that booted cold (the snapshot dropped and saved anew) is not the figure.
      if ((await snapshotSavedAt(stateDir)) !== saved) throw new Error('the on-demand start did not restore the snapshot (the app log says why)');
      figures.onReadyMs.push(await timedBuild(stateDir, nixBuild));
      const pid = (await core.handle('status.get', {}, 'cli')).pid;
      if (pid !== null) figures.qemuRssReadyBytes = (await sampleProcess(pid)).rssBytes;
      await stateReached(core, 'stopped');
      figures.qemuRssAfterIdleBytes = pid === null ? 0 : await sampleProcess(pid).then((sample) => sample.rssBytes, () => 0);
    }
    return figures;
  } finally {
    await door.close();
    await core.close({ stopBuilder: true });
  }
}
