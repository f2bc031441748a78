/**
 * A start on a state dir whose disk is full (a 256 KiB tmpfs filled up; root on Linux only, as
 * snapshotStore.test.ts does): the builder shows an error that says the disk is full and what to
 * do, not a bare ENOSPC sent to the app log, and no QEMU is left running.
 */
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Status } from '../../ipc/contract.js';
import { statePaths } from '../paths.js';
import { defaultSettings } from '../settings/defaults.js';
import { BuilderSupervisor } from './builderSupervisor.js';
import { inertProfile } from './testing/inertProfile.js';
import { readPidFile, vmFilesIn } from './vmFiles.js';

const asRoot = process.platform === 'linux' && process.getuid?.() === 0;
let root: string;
let mounted = false;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-full-'));
});
afterEach(async () => {
  if (mounted) await execa('umount', [root], { reject: false });
  mounted = false;
  rmSync(root, { recursive: true, force: true });
});

describe('a start on a full state dir', () => {
  it.runIf(asRoot)('fails saying the disk is full and how to go on', async () => {
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', root]);
    mounted = true;
    const paths = statePaths({ stateDir: path.join(root, 'state') });
    mkdirSync(paths.vmDir, { recursive: true });
    // Fill it: what is left cannot take the keys, logs or boot record a start writes.
    try {
      writeFileSync(path.join(root, 'filler'), Buffer.alloc(1024 * 1024));
    } catch {
      // ENOSPC: full, as wanted
    }
    const settings = { ...defaultSettings('linux'), restartPolicy: { ...defaultSettings('linux').restartPolicy, enabled: false } };
    const builder = new BuilderSupervisor({
      paths,
      getSettings: () => settings,
      logs: { append: () => undefined },
      resolveProfile: () =>
        inertProfile({
          qemuBinaryName: 'sh',
          prepare: async () => ({ kernel: null, initrd: null, extra: {} }),
          launchPlan: () => ({ command: '/bin/sh', args: ['-c', 'sleep 30'], cwd: paths.vmDir, env: {} }),
        }),
      chooseAccelerator: async () => ({ name: 'tcg', reason: 'unit test' }),
      platform: process.platform,
    });
    const errored = new Promise<Status>((resolve) => builder.onStatus((next) => next.state === 'error' && resolve(next)));
    await builder.start({}).catch(() => undefined);
    const status = await Promise.race([errored, new Promise<Status>((resolve) => setTimeout(() => resolve(builder.status()), 10_000).unref())]);
    expect(status.state).toBe('error');
    expect(status.error?.message).toMatch(/ENOSPC/);
    expect(status.error?.hint).toMatch(/^The disk holding .* is full: free some space on it, then start the builder again\./);
    expect(await readPidFile(vmFilesIn(paths.vmDir))).toBeNull();
    await builder.close({ stopBuilder: true });
  }, 20_000);
});
