import { execa } from 'execa';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Settings, VmState } from '../../ipc/contract.js';
import { LogHub } from '../logs/logHub.js';
import { defaultSettings } from '../settings/defaults.js';
import { builderImageHandlers } from './builderImageHandlers.js';
import { findOnPath } from './guest-image/hostTools.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bb-image-handlers-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function handlers(options: { settings: Settings; state: VmState; logs?: LogHub }) {
  return builderImageHandlers({
    vmDir: path.join(dir, 'vm'),
    nix: { require: async () => { throw new Error('no Nix in this test'); } },
    logs: options.logs ?? new LogHub({ ringLines: 100, logDir: null }),
    settings: () => options.settings,
    saveSettings: async () => undefined,
    home: path.join(dir, 'home'),
    builderState: () => options.state,
    switchHostKey: async () => { throw new Error('no host key switch in this test'); },
  });
}

describe('builderImage disk requests', () => {
  const mac = defaultSettings('darwin');

  it('lists upstream disks and the builder\'s own disk, on any profile', async () => {
    const listed = await handlers({ settings: defaultSettings('linux'), state: 'ready' })['builderImage.upstreamDisks']({});
    expect(listed).toEqual({ disks: [], ownDisk: path.join(dir, 'vm', 'disk.qcow2'), ownDiskExists: false });
  });

  it('imports only for the Mac profile and only while the builder is stopped, copying nothing otherwise', async () => {
    const source = path.join(dir, 'home', 'nixos.qcow2');
    await expect(handlers({ settings: defaultSettings('linux'), state: 'stopped' })['builderImage.importDisk']({ path: source }))
      .rejects.toMatchObject({ code: 'not-supported' });
    await expect(handlers({ settings: mac, state: 'ready' })['builderImage.importDisk']({ path: source }))
      .rejects.toMatchObject({ code: 'busy', message: 'The builder is ready: a disk is imported only while it is stopped.' });
    await expect(fs.access(path.join(dir, 'vm'))).rejects.toThrow();
  });

  it('imports a stopped Mac builder\'s disk and says so in the app log', async () => {
    const qemuImg = await findOnPath('qemu-img');
    if (!qemuImg) throw new Error('qemu-img not found: on Debian run apt-get install qemu-utils');
    const source = path.join(dir, 'home', 'nixos.qcow2');
    await fs.mkdir(path.dirname(source));
    await execa(qemuImg, ['create', '-q', '-f', 'qcow2', source, '2G']);
    const logs = new LogHub({ ringLines: 100, logDir: null });
    const imported = await handlers({ settings: mac, state: 'stopped', logs })['builderImage.importDisk']({ path: source });
    expect(imported.target).toBe(path.join(dir, 'vm', 'disk.qcow2'));
    expect(logs.tail('app', 10).map((line) => line.text)).toContainEqual(expect.stringContaining(`Imported ${source} as the builder's disk`));
    const listed = await handlers({ settings: mac, state: 'stopped' })['builderImage.upstreamDisks']({});
    expect(listed).toMatchObject({ disks: [expect.objectContaining({ path: source })], ownDiskExists: true });
  });
});
