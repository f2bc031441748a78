import { execa } from 'execa';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { bootConfigurationArchive, writeBootInitrd } from './bootInitrd.js';
import { newcArchive } from './newcArchive.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const HOST_KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n';
const config = { clientPublicKey: 'ssh-ed25519 AAAAC3Nz client', hostPrivateKey: HOST_KEY, bootMarker: 'boot-1234' };

describe('boot initrd', () => {
  it('appends this boot\'s keys and marker after the base, 4-byte aligned, mode 0600', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'initrd-'));
    dirs.push(dir);
    // A base of odd length forces the padding the kernel needs before the second archive.
    const base = gzipSync(newcArchive([{ kind: 'file', path: 'init', mode: 0o755, data: 'x'.repeat(7) }]));
    const basePath = path.join(dir, 'base.cpio.gz');
    await writeFile(basePath, base);
    const target = path.join(dir, 'initrd-boot.img');
    await writeBootInitrd(basePath, target, config);
    const written = await readFile(target);
    expect((await stat(target)).mode & 0o777).toBe(0o600);
    expect(written.subarray(0, base.length).equals(base)).toBe(true);
    const overlayStart = Math.ceil(base.length / 4) * 4;
    expect(written.subarray(base.length, overlayStart).every((byte) => byte === 0)).toBe(true);
    expect(written.subarray(overlayStart, overlayStart + 6).toString('ascii')).toBe('070701');

    const out = path.join(dir, 'out');
    await mkdir(out);
    await execa('cpio', ['-i', '-d', '--quiet'], { cwd: out, input: written.subarray(overlayStart) });
    expect(await readFile(path.join(out, 'etc/builder-bar/boot-marker'), 'utf8')).toBe('boot-1234\n');
    expect(await readFile(path.join(out, 'etc/builder-bar/authorized_keys'), 'utf8')).toBe('ssh-ed25519 AAAAC3Nz client\n');
    expect(await readFile(path.join(out, 'etc/builder-bar/ssh_host_ed25519_key'), 'utf8')).toBe(HOST_KEY);
    expect((await stat(path.join(out, 'etc/builder-bar/ssh_host_ed25519_key'))).mode & 0o777).toBe(0o600);
  });

  it('refuses a marker or key spanning lines (a second line could fake readiness)', () => {
    expect(() => bootConfigurationArchive({ ...config, bootMarker: 'a\nb' })).toThrow(/one non-empty line/);
    expect(() => bootConfigurationArchive({ ...config, bootMarker: '  ' })).toThrow(/one non-empty line/);
    expect(() => bootConfigurationArchive({ ...config, clientPublicKey: 'k1\nk2' })).toThrow(/one non-empty line/);
    expect(() => bootConfigurationArchive({ ...config, hostPrivateKey: 'ssh-ed25519 AAAA' })).toThrow(/private key/);
  });
});
