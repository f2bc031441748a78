import { execa } from 'execa';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestOutput } from '../../ipc/contract.js';
import { dispatch } from '../../doors/dispatch.js';
import type { Core } from '../core.js';
import { createCore } from '../createCore.js';
import { sha256, writeWiringRecord } from '../nix/wiringRecord.js';

const TOKEN = 'f3a9c1d2e4b5a6978812abcdef001122';
// Split so no secret scanner mistakes this test for a leaked key.
const BEGIN = ['-----BEGIN OPENSSH', 'PRIVATE KEY-----'].join(' ');
const END = ['-----END OPENSSH', 'PRIVATE KEY-----'].join(' ');
const KEY_BODY = 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW';
const privateKey = `${BEGIN}\n${KEY_BODY}\nQyNTUxOQAAACBx\n${END}\n`;

let core: Core | null = null;
const dirs: string[] = [];
afterEach(async () => {
  try {
    await core?.close({ stopBuilder: true });
  } finally {
    core = null;
    // After the core is closed: it writes nothing there afterwards, not even a late log line.
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  }
});

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(full)));
    else out.push(full);
  }
  return out;
}

describe('diagnostics.create through the core', () => {
  it('bundles logs, settings, status, versions, wiring and builds, with no private key and no token', async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'bb-diag-'));
    dirs.push(stateDir);
    const logDir = path.join(stateDir, 'logs');
    await mkdir(logDir, { recursive: true, mode: 0o700 });
    // A rotated file from an earlier run, seeded with what must never leave the machine.
    await writeFile(
      path.join(logDir, 'app.log.1'),
      `2024-05-01T12:00:00.000Z INFO  Builder Bar is serving on http://127.0.0.1:4567/#token=${TOKEN}\n` +
        privateKey.split('\n').filter(Boolean).map((line) => `2024-05-01T12:00:01.000Z INFO  ${line}`).join('\n') +
        '\n2024-05-01T12:00:02.000Z INFO  the line after the key stays\n',
      { mode: 0o600 },
    );
    await writeFile(path.join(logDir, 'vm-console.log'), `2024-05-01T12:00:03.000Z INFO  guest says hello\n${privateKey}`, { mode: 0o600 });
    // Wiring applied to a conf dir: the machines file is shown, the client key never.
    const confDir = path.join(stateDir, 'nixconf');
    await mkdir(confDir);
    const machines = 'ssh-ng://builder-bar-linux x86_64-linux /x/builder-bar_ed25519 4 1\n';
    await writeFile(path.join(confDir, 'machines'), machines);
    await writeFile(path.join(confDir, 'builder-bar_ed25519'), privateKey, { mode: 0o600 });
    await mkdir(path.join(stateDir, 'keys'), { recursive: true });
    await writeFile(path.join(stateDir, 'keys', 'client_ed25519'), privateKey, { mode: 0o600 });
    await writeWiringRecord(stateDir, {
      version: 1,
      target: { kind: 'confDir', dir: confDir },
      appliedAt: 1_700_000_000_000,
      files: [
        { path: path.join(confDir, 'machines'), createdByUs: true, backupPath: null, originalMode: null, originalSha256: null, writtenSha256: sha256(machines) },
        { path: path.join(confDir, 'builder-bar_ed25519'), createdByUs: true, backupPath: null, originalMode: null, originalSha256: null, writtenSha256: sha256(privateKey) },
        { path: path.join(stateDir, 'keys', 'client_ed25519'), createdByUs: true, backupPath: null, originalMode: null, originalSha256: null, writtenSha256: sha256(privateKey) },
      ],
    });

    core = await createCore({ stateDir, platform: 'linux', limits: { cpus: 4, memoryMiB: 8192 } });
    expect(await dispatch(core, 'cli', 'settings.set', { patch: { cpus: 3 } })).toMatchObject({ ok: true });
    expect(await dispatch(core, 'cli', 'diagnostics.create', { outDir: 'relative/dir' })).toMatchObject({ ok: false, error: { code: 'invalid-request' } });

    const reply = await dispatch(core, 'cli', 'diagnostics.create', {});
    if (!reply.ok) throw new Error(reply.error.message);
    // dispatch answers for any request name; this one's output is the contract's.
    const bundle = reply.value as RequestOutput<'diagnostics.create'>;
    const archive = bundle.path;
    expect(path.dirname(archive)).toBe(logDir);
    expect(path.basename(archive)).toMatch(/^builder-bar-diagnostics-\d{8}T\d{6}Z\.tar\.gz$/);
    expect((await stat(archive)).mode & 0o777).toBe(0o600);

    const extracted = await mkdtemp(path.join(os.tmpdir(), 'bb-diag-x-'));
    dirs.push(extracted);
    await execa('tar', ['-xzf', archive, '-C', extracted]);
    const [top] = await readdir(extracted);
    const root = path.join(extracted, top ?? '');
    const read = (name: string) => readFile(path.join(root, name), 'utf8');

    // The logs, the rotated one included, by content.
    expect(await read('logs/app.log.1')).toContain('the line after the key stays');
    expect(await read('logs/vm-console.log')).toContain('guest says hello');
    expect(await read('logs/app.log')).toContain('core started');
    expect(JSON.parse(await read('settings.json'))).toMatchObject({ cpus: 3, profile: 'linux-test' });
    expect(JSON.parse(await read('status.json'))).toMatchObject({ state: 'stopped' });
    const versions = await read('versions.txt');
    expect(versions).toMatch(/^Builder Bar: \S+/m);
    expect(versions).toContain(`Node: ${process.version}`);
    expect(versions).toMatch(/^Nix: .+/m);
    expect(versions).toMatch(/^QEMU: .+/m);
    expect(JSON.parse(await read('builds.json'))).toMatchObject({ builds: [], external: [] });
    expect(await read(`nix-wiring/files${path.join(confDir, 'machines')}`)).toBe(machines);
    expect(await read('nix-wiring/README.txt')).toMatch(/builder-bar_ed25519: left out/);

    const all = await filesUnder(root);
    expect(all.map((file) => path.relative(extracted, file)).sort()).toEqual([...bundle.files].sort());
    expect(all.some((file) => file.endsWith('builder-bar_ed25519') || file.endsWith('client_ed25519'))).toBe(false);
    for (const file of all) {
      const text = await readFile(file, 'utf8');
      expect(text, file).not.toContain('PRIVATE KEY');
      expect(text, file).not.toContain(KEY_BODY);
      expect(text, file).not.toContain(TOKEN);
      expect(text, file).not.toMatch(/token=(?!<removed>)/);
    }
    expect(await read('logs/app.log.1')).toContain('#token=<removed>');
  }, 60_000);
});
