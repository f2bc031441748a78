/**
 * The core as a Mac app started from Finder meets the machine: its own PATH holds none of the
 * user's programs (launchd's `/usr/bin:/bin:/usr/sbin:/sbin`; here an empty directory, since
 * this machine's /usr/bin has Debian's Nix and QEMU), yet it finds Nix in Nix's profile
 * directories and QEMU, qemu-img and git where only the login shell's PATH has them, says where
 * each came from, and runs them by those paths. A login shell that hangs costs its timeout and
 * a log line, and the profile directories still work. Stand-ins are scripts in temp dirs,
 * reached through the core's options, never by writing to /nix.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeNixInUse } from '../ipc/describeNixInUse.js';
import type { AppInfo } from '../ipc/contract.js';
import type { Core } from './core.js';
import { createCore } from './createCore.js';
import { writeFakeNix } from './nix/testing/fakeNix.js';
import { writeHangingLoginShell, writeNoisyLoginShell, writeVersionStub } from './host/testing/fakeLoginShell.js';

let root = '';
let core: Core | null = null;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'bb-minimal-path-'));
});

afterEach(async () => {
  await core?.close({ stopBuilder: true });
  core = null;
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

interface World {
  appBin: string;
  shellBin: string;
  profileBin: string;
  home: string;
}

async function world(name: string): Promise<World> {
  const base = path.join(root, name);
  const appBin = path.join(base, 'launchd-bin');
  await mkdir(appBin, { recursive: true });
  const shellBin = path.join(base, 'homebrew-bin');
  await writeVersionStub(path.join(shellBin, 'qemu-system-x86_64'), 'QEMU emulator version 9.2.0 (stand-in)');
  await writeVersionStub(path.join(shellBin, 'qemu-img'), 'qemu-img version 9.2.0 (stand-in)');
  await writeVersionStub(path.join(shellBin, 'git'), 'git version 2.47.0 (stand-in)');
  const profileBin = path.join(base, 'nix', 'var', 'nix', 'profiles', 'default', 'bin');
  await writeFakeNix(profileBin, { version: '2.34.8' });
  const home = path.join(base, 'home');
  await mkdir(home, { recursive: true });
  return { appBin, shellBin, profileBin, home };
}

async function startCore(w: World, loginShell: string, extra: { loginShellTimeoutMs?: number } = {}): Promise<Core> {
  core = await createCore({
    stateDir: path.join(path.dirname(w.appBin), 'state'),
    platform: 'linux',
    limits: { cpus: 4, memoryMiB: 8192 },
    env: { PATH: w.appBin, HOME: w.home, USER: 'someone' },
    hostPath: { loginShell, profileDirs: [w.profileBin], ...extra },
  });
  return core;
}

function appInfo(c: Core): Promise<AppInfo> {
  return c.handle('app.info', {}, 'cli');
}

async function appLog(c: Core): Promise<Array<{ level: string; text: string }>> {
  return (await c.handle('logs.tail', { source: 'app', lines: 200 }, 'cli')).lines;
}

describe('the core with a minimal PATH', () => {
  it("finds Nix in Nix's profile directories and QEMU, qemu-img and git on the login shell's PATH, and says where each came from", async () => {
    const w = await world('finder');
    // Not /usr/bin: this machine's holds Debian's Nix and QEMU, which a Mac's does not.
    const shell = await writeNoisyLoginShell(path.join(root, 'finder', 'zsh'), [w.shellBin, path.join(root, 'finder', 'no-such-dir')]);
    const c = await startCore(w, shell);
    const info = await appInfo(c);
    expect(info.nix).toMatchObject({ found: true, binDir: w.profileBin, chosenBy: 'profile', version: '2.34.8', shadowed: [] });
    expect(info.hostTools.loginShell).toMatchObject({ ok: true, shell });
    expect(info.hostTools.tools).toEqual([
      { name: 'qemu-system-x86_64', path: path.join(w.shellBin, 'qemu-system-x86_64'), origin: 'login-shell' },
      { name: 'qemu-img', path: path.join(w.shellBin, 'qemu-img'), origin: 'login-shell' },
      { name: 'git', path: path.join(w.shellBin, 'git'), origin: 'login-shell' },
      { name: 'ssh', path: null, origin: null },
    ]);

    // The QEMU a diagnostics bundle reports is run by that path.
    const bundle = await c.handle('diagnostics.create', { outDir: path.join(root, 'finder', 'out') }, 'cli');
    const listing = await execa('tar', ['-xzOf', bundle.path, '--wildcards', '*/versions.txt']);
    expect(listing.stdout).toContain(`QEMU: QEMU emulator version 9.2.0 (stand-in) (${path.join(w.shellBin, 'qemu-system-x86_64')}, login-shell)`);
    expect(listing.stdout).toContain(`Nix: Nix 2.34.8 in ${w.profileBin} (found in Nix's profile directories)`);

    expect((await appLog(c)).map((line) => line.text)).toContainEqual(expect.stringMatching(new RegExp(`^Added the PATH of the login shell ${shell} \\(2 directories, \\d+ ms\\)`)));
  });

  it('falls back to the app PATH and the profile directories when the login shell hangs, and logs why', async () => {
    const w = await world('hanging');
    const shell = await writeHangingLoginShell(path.join(root, 'hanging', 'zsh'));
    const c = await startCore(w, shell, { loginShellTimeoutMs: 500 });
    const info = await appInfo(c);
    expect(info.nix).toMatchObject({ found: true, binDir: w.profileBin, chosenBy: 'profile' });
    expect(info.hostTools.loginShell).toEqual({ ok: false, shell, why: `${shell} -ilc did not print its environment within 0.5 s (ended it)` });
    expect(info.hostTools.tools.find((tool) => tool.name === 'qemu-system-x86_64')).toEqual({ name: 'qemu-system-x86_64', path: null, origin: null });
    // A start looks for QEMU on the same search path (this process's own PATH has Debian's QEMU:
    // the refusal shows it is not looked at), before anything is prepared.
    const missing = "qemu-system-x86_64 was not found on PATH, the login shell's PATH or in Nix's profile directories.";
    await expect(c.handle('vm.start', {}, 'cli')).rejects.toThrow(missing);
    expect((await c.handle('status.get', {}, 'cli')).error?.message).toBe(missing);
    expect(await appLog(c)).toContainEqual(expect.objectContaining({
      level: 'warn',
      text: `Programs are found on the app's PATH and in Nix's profile directories only: ${shell} -ilc did not print its environment within 0.5 s (ended it).`,
    }));
  });

  it('runs the Nix the login shell finds first and names the one in the profile directory it does not run', async () => {
    const w = await world('two-nixes');
    const shellNix = await writeFakeNix(path.join(root, 'two-nixes', 'brew-nix', 'bin'), { version: '2.24.10' });
    const shell = await writeNoisyLoginShell(path.join(root, 'two-nixes', 'zsh'), [shellNix.binDir, w.shellBin]);
    const c = await startCore(w, shell);
    const info = await appInfo(c);
    expect(info.nix).toMatchObject({ found: true, binDir: shellNix.binDir, chosenBy: 'login-shell', version: '2.24.10', shadowed: [{ binDir: w.profileBin, chosenBy: 'profile' }] });
    expect(describeNixInUse(info.nix)).toBe(`2.24.10 in ${shellNix.binDir} (found on your login shell's PATH); not used: ${w.profileBin} (found in Nix's profile directories)`);
    // Builds run that Nix, by its absolute path.
    expect(await readFile(shellNix.versionCallsFile, 'utf8')).not.toBe('');
  });
});
