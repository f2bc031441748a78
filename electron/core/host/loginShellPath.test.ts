/**
 * The login shell's PATH, asked of real shell scripts standing in for a user's zsh: the PATH
 * between the markers is taken and everything a profile prints around it is not; a shell that
 * hangs or fails gives an answer that says why, never an exception or a wait without end; and
 * no value that is not an absolute path to an executable is ever run as the shell.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginShellOf, loginShellPath, pathBetweenMarkers } from './loginShellPath.js';
import {
  writeFailingLoginShell,
  writeHangingLoginShell,
  writeHomeBinLoginShell,
  writeLoginShellWithBackgroundJob,
  writeMultilineVariableLoginShell,
  writeNoisyLoginShell,
  writeWorkingDirectoryLoginShell,
} from './testing/fakeLoginShell.js';

let root = '';
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'bb-login-shell-'));
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe("the login shell's PATH", () => {
  it('takes the PATH printed between the markers, whatever the profile prints around it', async () => {
    const shell = await writeNoisyLoginShell(path.join(root, 'noisy', 'zsh'), ['/opt/homebrew/bin', '/usr/bin', '/bin', 'relative/bin', '/nix/var/nix/profiles/default/bin']);
    const outcome = await loginShellPath({ env: { PATH: '/usr/bin:/bin', HOME: root }, shell });
    expect(outcome).toMatchObject({ ok: true, shell, dirs: ['/opt/homebrew/bin', '/usr/bin', '/bin', '/nix/var/nix/profiles/default/bin'] });
  });

  it('ends a shell that does not answer in time, with what it started, and says so', async () => {
    const shell = await writeHangingLoginShell(path.join(root, 'hanging', 'zsh'));
    const outcome = await loginShellPath({ env: { PATH: '/usr/bin:/bin' }, shell, timeoutMs: 300 });
    expect(outcome).toEqual({ ok: false, shell, why: `${shell} -ilc did not print its environment within 0.3 s (ended it)` });
  });

  it('answers as soon as the shell has printed its PATH, though a job its profile started still holds the output', async () => {
    const pidFile = path.join(root, 'agent.pid');
    const shell = await writeLoginShellWithBackgroundJob(path.join(root, 'agent', 'zsh'), ['/opt/homebrew/bin', '/usr/bin'], pidFile);
    const started = Date.now();
    const outcome = await loginShellPath({ env: { PATH: '/usr/bin:/bin' }, shell, timeoutMs: 3_000 });
    const pid = Number(await readFile(pidFile, 'utf8'));
    try {
      expect(outcome).toMatchObject({ ok: true, shell, dirs: ['/opt/homebrew/bin', '/usr/bin'] });
      expect(Date.now() - started).toBeLessThan(2_000);
      // The job is the user's (an agent their profile starts): answering does not end it.
      expect(() => process.kill(pid, 0)).not.toThrow();
    } finally {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  it("gives the shell the account's home when HOME is relative, as a terminal would", async () => {
    const shell = await writeHomeBinLoginShell(path.join(root, 'home-bin', 'zsh'));
    const outcome = await loginShellPath({ env: { PATH: '/usr/bin:/bin', HOME: 'not/absolute' }, shell });
    expect(outcome).toMatchObject({ ok: true, dirs: [path.join(os.userInfo().homedir, 'bin'), '/usr/bin', '/bin'] });
  });

  it('takes the real PATH when a variable set before it holds a newline and a false "PATH=" line', async () => {
    const shell = await writeMultilineVariableLoginShell(path.join(root, 'multiline', 'zsh'), ['/opt/homebrew/bin', '/usr/bin'], '/evil/bin');
    const outcome = await loginShellPath({ env: { PATH: '/usr/bin:/bin', HOME: root }, shell });
    expect(outcome).toMatchObject({ ok: true, shell, dirs: ['/opt/homebrew/bin', '/usr/bin'] });
  });

  it("starts the shell in the home directory, as a terminal does, not in the core's working directory", async () => {
    const shell = await writeWorkingDirectoryLoginShell(path.join(root, 'cwd', 'zsh'));
    const outcome = await loginShellPath({ env: { PATH: '/usr/bin:/bin', HOME: root }, shell });
    expect(outcome).toMatchObject({ ok: true, dirs: [path.join(root, 'bin'), '/usr/bin', '/bin'] });
    // A home that is not a directory: `/`, as a terminal would, never the core's directory.
    const noHome = await loginShellPath({ env: { PATH: '/usr/bin:/bin', HOME: path.join(root, 'no-such-home') }, shell });
    expect(noHome).toMatchObject({ ok: true, dirs: ['//bin', '/usr/bin', '/bin'] });
  });

  it('says when the shell printed no PATH', async () => {
    const shell = await writeFailingLoginShell(path.join(root, 'failing', 'zsh'));
    const outcome = await loginShellPath({ env: { PATH: '/usr/bin:/bin' }, shell });
    expect(outcome).toEqual({ ok: false, shell, why: `${shell} -ilc printed no PATH between its markers (it exited with code 1)` });
  });

  it('never runs an option-looking, relative or missing SHELL; falls back to the account\'s shell', async () => {
    expect(await loginShellOf({}, '-i')).toEqual({ why: 'no usable login shell: "-i" is not an absolute path' });
    expect(await loginShellOf({}, 'zsh')).toEqual({ why: 'no usable login shell: "zsh" is not an absolute path' });
    expect(await loginShellOf({}, path.join(root, 'no-such-shell'))).toEqual({ why: `no usable login shell: ${JSON.stringify(path.join(root, 'no-such-shell'))} is not an executable file` });
    expect(await loginShellOf({}, null)).toEqual({ why: 'asking the login shell is turned off' });
    const account = os.userInfo().shell;
    const fallback = await loginShellOf({ SHELL: '--norc' });
    if (account && path.isAbsolute(account)) expect(fallback).toEqual({ shell: account });
    else expect(fallback).toMatchObject({ why: expect.stringContaining('"--norc" is not an absolute path') });
  });

  it("reads only printenv's PATH between two markers, absolute entries only, none holding a newline", () => {
    const marker = '_M_';
    expect(pathBetweenMarkers('PATH=/noise\n_M_/a:b:/c\r\n_M_PATH=/after', marker)).toEqual(['/a', '/c']);
    expect(pathBetweenMarkers('_M_/a:/b\nPATH=/evil:/c\n_M_', marker)).toEqual(['/a', '/c']);
    expect(pathBetweenMarkers('_M__M_', marker)).toBeNull();
    expect(pathBetweenMarkers('_M_/a', marker)).toBeNull();
    expect(pathBetweenMarkers('/a', marker)).toBeNull();
  });
});
