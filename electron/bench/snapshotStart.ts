/**
 * Benchmark: stopped -> ready, a cold boot against a restore of the builder's snapshot, same
 * settings, same state dir (issue 12: restore at most 0.2 of a cold boot, and at most 2 s here).
 * Each round: drop the snapshot and start (a cold boot, which saves a new snapshot on its way),
 * stop; start again (the restore), stop. Timed from `vm.start` to the `ready` reply through a
 * fresh core each time, as a user's click is. The record's `savedAt` must not change across the
 * restore, or the round is refused: a "restore" that booted cold would flatter nothing but lie.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createCore } from '../core/createCore.js';
import { statePaths } from '../core/paths.js';
import { ensureLinuxTestImage } from '../core/vm/guest-image/linuxTestImage.js';
import { dropSnapshot, snapshotFilesIn } from '../core/vm/snapshot/snapshotStore.js';
import { median } from './startToReady.js';

export interface SnapshotStartResult {
  coldMs: number[];
  restoreMs: number[];
  ratio: number;
}

async function startedToReadyMs(stateDir: string): Promise<number> {
  const core = await createCore({ stateDir });
  try {
    const started = performance.now();
    const reply = await core.handle('vm.start', { wait: true, timeoutSeconds: 600 }, 'cli');
    if (reply.state !== 'ready') throw new Error(`the builder did not become ready: ${JSON.stringify(reply.error)}`);
    return performance.now() - started;
  } finally {
    await core.close({ stopBuilder: true });
  }
}

async function savedAt(stateDir: string): Promise<number | null> {
  const text = await readFile(snapshotFilesIn(path.join(stateDir, 'vm')).record, 'utf8').catch(() => null);
  return text === null ? null : (JSON.parse(text) as { savedAt: number }).savedAt;
}

export async function benchSnapshotStart(stateDir: string, rounds: number): Promise<SnapshotStartResult> {
  const coldMs: number[] = [];
  const restoreMs: number[] = [];
  // The guest image is built once per state dir: not part of any cold boot measured here. (A
  // core made first makes the state dir its own; it refuses a dir that holds files already.)
  // A free port when the default is taken (another builder on a shared machine): the setting
  // stays in the state dir for every start below.
  const first = await createCore({ stateDir });
  await first.handle('settings.set', { patch: { hostPortAuto: true } }, 'cli');
  await first.close({ stopBuilder: true });
  await ensureLinuxTestImage({ imagesDir: statePaths({ stateDir }).imagesDir, report: () => undefined });
  for (let round = 0; round < rounds; round += 1) {
    await dropSnapshot(snapshotFilesIn(path.join(stateDir, 'vm')));
    coldMs.push(await startedToReadyMs(stateDir));
    const saved = await savedAt(stateDir);
    if (saved === null) throw new Error('the cold boot saved no snapshot (the app log says why)');
    restoreMs.push(await startedToReadyMs(stateDir));
    if ((await savedAt(stateDir)) !== saved) throw new Error('the second start did not restore the snapshot (it was dropped; the app log says why)');
  }
  return { coldMs, restoreMs, ratio: median(restoreMs) / median(coldMs) };
}
