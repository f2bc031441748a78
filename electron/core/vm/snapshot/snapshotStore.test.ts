/**
 * The snapshot files against a real QEMU that runs no guest (`-S`, no disk): a save and a restore
 * through the migration socket, a full disk while saving (a 256 KiB tmpfs, where the test runs as
 * root on Linux), QEMU killed during the save, a directory that cannot be written, and each way a
 * snapshot on disk can be unusable (a partial save, no record, a record cut short, other keys, a
 * state file of another size).
 */
import { execa, type ResultPromise } from 'execa';
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QmpClient } from '../qmpClient.js';
import type { SnapshotKeys } from './snapshotRecord.js';
import { restoreSnapshot, saveSnapshot, snapshotDirProblem, snapshotFilesIn, usableSnapshot, type SnapshotFiles } from './snapshotStore.js';

const keys: SnapshotKeys = { profile: 'linux-test', image: 'abc', qemu: '/usr/bin/qemu 1 2', accelerator: 'tcg', cpus: 1, memoryMiB: 64, diskBytes: 1, hostKey: 'SHA256:x', hostArch: 'linux-x64' };
const asRoot = process.platform === 'linux' && process.getuid?.() === 0;

let dir: string;
let files: SnapshotFiles;
let said: string[];
const say = (_level: 'info' | 'warn', text: string): void => void said.push(text);
const qemus: ResultPromise[] = [];
const mounts: string[] = [];

/** A QEMU with no guest, paused, its QMP socket in `dir` (its working dir, as for the builder). */
async function tinyQemu(extra: string[] = [], name = 'qmp.sock', run = false): Promise<{ qmp: QmpClient; process: ResultPromise }> {
  const child = execa('qemu-system-x86_64', ['-machine', 'q35,accel=tcg', '-m', '64', '-S', '-nodefaults', '-display', 'none', '-qmp', `unix:${name},server=on,wait=off`, ...extra], { cwd: dir, reject: false });
  qemus.push(child);
  for (let attempt = 0; ; attempt++) {
    try {
      const qmp = await QmpClient.connect(path.join(dir, name), 1_000);
      // A source that runs, as the builder does (SeaBIOS finds nothing to boot and waits).
      if (run) await qmp.execute('cont');
      return { qmp, process: child };
    } catch (error) {
      if (attempt > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bb-snapstore-'));
  files = snapshotFilesIn(dir);
  said = [];
});

afterEach(async () => {
  for (const child of qemus.splice(0)) child.kill('SIGKILL');
  for (const mount of mounts.splice(0)) await execa('umount', [mount], { reject: false });
  rmSync(dir, { recursive: true, force: true });
});

describe('saving and restoring through the migration socket', () => {
  it('saves a state and its record, the source runs on, and a QEMU started to receive it loads it', async () => {
    const source = await tinyQemu();
    const record = await saveSnapshot(source.qmp, files, keys, () => 42);
    expect(record).toMatchObject({ format: 1, keys, savedAt: 42, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect((await fs.stat(files.state)).size).toBe(record.sizeBytes);
    await expect(fs.access(files.partial)).rejects.toThrow();
    expect((await source.qmp.queryStatus()).status).toBe('running');
    source.qmp.close();

    expect(await usableSnapshot(files, keys, say)).toEqual(record);
    const target = await tinyQemu(['-incoming', 'defer'], 'qmp2.sock');
    await restoreSnapshot(target.qmp, files, record);
    expect((await target.qmp.queryStatus()).status).toBe('running');
    target.qmp.close();
  });

  it('a state altered after the save is refused before the guest runs', async () => {
    const source = await tinyQemu();
    const record = await saveSnapshot(source.qmp, files, keys, () => 1);
    source.qmp.close();
    const handle = await fs.open(files.state, 'r+');
    await handle.write(Buffer.from('not what was saved'), 0, undefined, Math.floor(record.sizeBytes / 2));
    await handle.close();
    const target = await tinyQemu(['-incoming', 'defer', '-S'], 'qmp2.sock');
    await expect(restoreSnapshot(target.qmp, files, record)).rejects.toThrow(/does not match its record/);
    // Whatever QEMU made of the bytes, it never ran them.
    const status = await target.qmp.queryStatus().catch(() => null);
    expect(status?.running ?? false).toBe(false);
    target.qmp.close();
  });

  it.runIf(asRoot)('a full disk while saving: an error, nothing kept, the source runs on', async () => {
    await fs.mkdir(files.dir);
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', files.dir]);
    mounts.push(files.dir);
    const source = await tinyQemu([], 'qmp.sock', true);
    await expect(saveSnapshot(source.qmp, files, keys, () => 1)).rejects.toThrow(/ENOSPC|no space/i);
    expect(await fs.readdir(files.dir)).toEqual([]);
    expect((await source.qmp.queryStatus()).status).toBe('running');
    expect(await usableSnapshot(files, keys, say)).toBeNull();
    source.qmp.close();
  });

  it('QEMU killed -9 during the save: an error, nothing kept', async () => {
    // 64 MiB of guest RAM that is not zero (mapped from a file of random bytes) makes the save take a while.
    const ram = path.join(dir, 'ram.bin');
    await fs.writeFile(ram, (await import('node:crypto')).randomBytes(64 * 1024 * 1024));
    const source = await tinyQemu(['-object', `memory-backend-file,id=ram,size=64M,mem-path=${ram},share=off`, '-machine', 'memory-backend=ram']);
    const saving = saveSnapshot(source.qmp, files, keys, () => 1);
    for (;;) {
      const size = (await fs.stat(files.partial).catch(() => null))?.size ?? 0;
      if (size > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    source.process.kill('SIGKILL');
    await expect(saving).rejects.toThrow();
    await expect(fs.access(files.state)).rejects.toThrow();
    await expect(fs.access(files.partial)).rejects.toThrow();
    expect(await usableSnapshot(files, keys, say)).toBeNull();
  });
});

describe('which snapshot on disk may be restored', () => {
  async function saved(): Promise<void> {
    const source = await tinyQemu();
    await saveSnapshot(source.qmp, files, keys, () => 1);
    source.qmp.close();
  }

  it('none: nothing said', async () => {
    expect(await usableSnapshot(files, keys, say)).toBeNull();
    expect(said).toEqual([]);
  });

  it('a save the core was killed in (a partial file left): dropped, saying so', async () => {
    await saved();
    await fs.writeFile(files.partial, 'half');
    expect(await usableSnapshot(files, keys, say)).toBeNull();
    expect(said).toEqual([expect.stringMatching(/^Dropped the builder's snapshot: a save did not finish .*Booting cold/)]);
    expect(await fs.readdir(files.dir)).toEqual([]);
  });

  it('a state without a record, a record cut short, a state cut short: each dropped with its reason', async () => {
    await saved();
    await fs.rm(files.record);
    expect(await usableSnapshot(files, keys, say)).toBeNull();
    await saved();
    const text = await fs.readFile(files.record, 'utf8');
    await fs.writeFile(files.record, text.slice(0, text.length / 2));
    expect(await usableSnapshot(files, keys, say)).toBeNull();
    await saved();
    await fs.truncate(files.state, 1000);
    expect(await usableSnapshot(files, keys, say)).toBeNull();
    expect(said).toEqual([
      expect.stringMatching(/its state has no record/),
      expect.stringMatching(/its record is not JSON/),
      expect.stringMatching(/its state file is 1000 bytes, the record says \d+ \(cut short or replaced\)/),
    ]);
  });

  it('taken with other settings, another QEMU or image: dropped, naming what changed', async () => {
    await saved();
    expect(await usableSnapshot(files, { ...keys, cpus: 2, memoryMiB: 128, qemu: 'other' }, say)).toBeNull();
    expect(said).toEqual([expect.stringContaining('it was taken with other settings (QEMU changed, the CPU count changed from 1 to 2, the memory size changed from 64 to 128)')]);
    await expect(fs.access(files.state)).rejects.toThrow();
  });
});

describe('a snapshot directory that cannot be written', () => {
  it('is named with the reason', async () => {
    if (asRoot) {
      await fs.mkdir(files.dir);
      await execa('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', files.dir]);
      mounts.push(files.dir);
    } else {
      await fs.mkdir(files.dir, { mode: 0o500 });
    }
    expect(await snapshotDirProblem(files)).toMatch(new RegExp(`^${files.dir.replace(/[/.]/g, '\\$&')} is not writable \\(`));
  });

  it('a writable one passes', async () => {
    expect(await snapshotDirProblem(files)).toBeNull();
  });
});
