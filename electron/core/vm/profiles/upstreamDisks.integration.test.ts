// Disks nixpkgs' builder left before Builder Bar, with real qemu-img and a real QEMU holding
// one: found where upstream leaves them, copied in only when safe, the original never changed.
import { execa, type ResultPromise } from 'execa';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findOnPath } from '../guest-image/hostTools.js';
import { findUpstreamDisks, importUpstreamDisk, upstreamDiskCandidates } from './upstreamDisks.js';

let dir: string;
let home: string;
let vmDir: string;
let holder: ResultPromise | null = null;

async function qemuImg(): Promise<string> {
  const found = await findOnPath('qemu-img');
  if (!found) throw new Error('qemu-img not found: on Debian run apt-get install qemu-utils');
  return found;
}

async function digest(file: string): Promise<string> {
  return createHash('sha256').update(await fs.readFile(file)).digest('hex');
}

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bb-upstream-disk-'));
  home = path.join(dir, 'home with space');
  vmDir = path.join(dir, 'state', 'vm');
  await fs.mkdir(home, { recursive: true });
  await fs.mkdir(vmDir, { recursive: true });
});

afterEach(async () => {
  holder?.kill('SIGKILL');
  await holder?.catch(() => undefined);
  holder = null;
  await fs.rm(dir, { recursive: true, force: true });
});

describe('disks nixpkgs\' builder left', () => {
  it('finds ~/nixos.qcow2, leaves out what is not a qcow2 or is a symlink, and imports a copy that leaves the original as it was', async () => {
    const img = await qemuImg();
    const source = path.join(home, 'nixos.qcow2');
    await execa(img, ['create', '-q', '-f', 'qcow2', source, '3G']);
    // Something the old builder wrote, so the copy has content to prove.
    await execa(img, ['resize', '-q', source, '4G']);
    const before = { digest: await digest(source), mtime: (await fs.stat(source)).mtimeMs };
    const candidates = upstreamDiskCandidates(home);

    const found = await findUpstreamDisks(candidates);
    expect(found).toEqual([expect.objectContaining({ path: source, readable: true, origin: expect.stringContaining('nix run nixpkgs#darwin.linux-builder') })]);

    const target = path.join(vmDir, 'disk.qcow2');
    const imported = await importUpstreamDisk({ source, candidates, target, qemuImg: img });
    expect(imported).toEqual({ source, target, virtualSizeBytes: 4 * 2 ** 30 });
    expect(await digest(target)).toBe(before.digest);
    expect((await fs.stat(target)).mode & 0o777).toBe(0o600);
    expect(await digest(source)).toBe(before.digest);
    expect((await fs.stat(source)).mtimeMs).toBe(before.mtime);
    expect(await fs.readdir(vmDir)).toEqual(['disk.qcow2']);

    // Now the builder has a disk of its own: a second import would replace it, so it is refused.
    await expect(importUpstreamDisk({ source, candidates, target, qemuImg: img })).rejects.toMatchObject({
      message: expect.stringContaining('already has its own disk'),
    });

    await fs.rm(source);
    await fs.writeFile(source, 'not a disk');
    expect(await findUpstreamDisks(candidates)).toEqual([]);
    await fs.rm(source);
    await fs.symlink(target, source);
    expect(await findUpstreamDisks(candidates)).toEqual([]);
  });

  it('reads no file but the places upstream uses', async () => {
    const img = await qemuImg();
    const elsewhere = path.join(dir, 'other.qcow2');
    await execa(img, ['create', '-q', '-f', 'qcow2', elsewhere, '1G']);
    await expect(importUpstreamDisk({ source: elsewhere, candidates: upstreamDiskCandidates(home), target: path.join(vmDir, 'disk.qcow2'), qemuImg: img }))
      .rejects.toMatchObject({ code: 'invalid-request', message: expect.stringContaining('is not a disk nixpkgs\' builder leaves') });
    expect(await fs.readdir(vmDir)).toEqual([]);
  });

  it('refuses an overlay on a backing file (a copy alone would lose the store), saying how to make it one file', async () => {
    const img = await qemuImg();
    const base = path.join(home, 'base.qcow2');
    await execa(img, ['create', '-q', '-f', 'qcow2', base, '1G']);
    const source = path.join(home, 'nixos.qcow2');
    // Relative, as `qemu-img create -b` in the same directory writes it: from vm/ it would name nothing.
    await execa(img, ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', 'base.qcow2', source]);
    const target = path.join(vmDir, 'disk.qcow2');
    const error = await importUpstreamDisk({ source, candidates: upstreamDiskCandidates(home), target, qemuImg: img }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'invalid-request', message: `${source} is an overlay on ${base} (a qcow2 backing file), not a disk on its own: a copy would not hold the store it shows.` });
    expect((error as { hint: string }).hint).toContain(`qemu-img convert -O qcow2 -- '${source}'`);
    expect(await fs.readdir(vmDir)).toEqual([]);

    // The command the hint gives makes a disk that imports.
    const flat = `${source}.flat`;
    await execa(img, ['convert', '-O', 'qcow2', '--', source, flat]);
    await fs.rename(flat, source);
    await expect(importUpstreamDisk({ source, candidates: upstreamDiskCandidates(home), target, qemuImg: img })).resolves.toMatchObject({ target });
  });

  it('refuses a disk a running QEMU holds (a copy would be torn), copying nothing', async () => {
    const img = await qemuImg();
    const qemu = await findOnPath('qemu-system-x86_64');
    if (!qemu) throw new Error('qemu-system-x86_64 not found: on Debian run apt-get install qemu-system-x86');
    const source = path.join(home, 'nixos.qcow2');
    await execa(img, ['create', '-q', '-f', 'qcow2', source, '1G']);
    // A paused QEMU (-S) with the disk attached takes the same lock a running builder does.
    holder = execa(qemu, ['-S', '-nodefaults', '-display', 'none', '-machine', 'q35,accel=tcg', '-drive', `file=${source},if=virtio,format=qcow2`, '-qmp', 'stdio'], { stdin: 'pipe' });
    const target = path.join(vmDir, 'disk.qcow2');
    let error: unknown = null;
    // The lock is taken once QEMU has opened the disk: ask until it is (or QEMU has gone).
    for (let attempt = 0; attempt < 100 && error === null; attempt += 1) {
      error = await importUpstreamDisk({ source, candidates: upstreamDiskCandidates(home), target, qemuImg: img }).then(async () => {
        await fs.rm(target);
        await new Promise((resolve) => setTimeout(resolve, 100));
        return null;
      }, (caught: unknown) => caught);
    }
    expect(error).toMatchObject({ code: 'busy', message: expect.stringContaining('is in use by a running QEMU') });
    expect(await fs.readdir(vmDir)).toEqual([]);
  });
});
