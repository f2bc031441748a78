/**
 * The `builder-bar` symlink to the app's executable: made as the user in a directory of theirs,
 * through the admin step's runner otherwise (the runner stands for macOS's password prompt and
 * runs the very script through sh, with a temp dir standing for /usr/local/bin), never over a
 * file or link that is not a Builder Bar app's.
 */
import { mkdir, mkdtemp, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrivilegedRunner } from '../core/nix/macAdminRunner.js';
import { adminLinkScript, installCliLink } from './cliLink.js';

let root = '';
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'bb-cli-link-'));
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

const executable = '/Applications/Builder Bar.app/Contents/MacOS/Builder Bar';

function recordingRunner(): PrivilegedRunner & { scripts: string[] } {
  const runner = {
    scripts: [] as string[],
    async run(script: string) {
      runner.scripts.push(script);
      const result = await execa('sh', ['-c', script], { reject: false });
      return { exitCode: result.exitCode ?? null, output: `${result.stdout}${result.stderr}` };
    },
  };
  return runner;
}

describe('Install Command Line Tool', () => {
  it('links as the user in a directory of theirs, without the admin step, and says so once it is there', async () => {
    const dir = path.join(root, 'user-bin');
    await mkdir(dir);
    const runner = recordingRunner();
    expect(await installCliLink({ executable, runner, dir })).toEqual({ ok: true, message: `Installed ${dir}/builder-bar: run "builder-bar --help" in a new terminal.` });
    expect(await readlink(path.join(dir, 'builder-bar'))).toBe(executable);
    expect(runner.scripts).toEqual([]);
    expect(await installCliLink({ executable, runner, dir })).toEqual({ ok: true, message: `${dir}/builder-bar already runs this app's builder-bar.` });
  });

  it('uses the admin step only when the directory is not writable, with a quoted mkdir and ln', async () => {
    const locked = path.join(root, 'locked');
    await mkdir(locked);
    // As for /usr/local/bin on an Apple Silicon Mac: root's. (These tests run as root, so the
    // directory's mode cannot show it.)
    const notTheUsers = async () => false;
    const cancelled: PrivilegedRunner & { scripts: string[] } = { scripts: [], run: async (script) => (cancelled.scripts.push(script), { exitCode: -128, output: 'User canceled.' }) };
    expect(await installCliLink({ executable, runner: cancelled, dir: locked, isWritable: notTheUsers })).toEqual({ ok: false, message: 'Cancelled at the password prompt; nothing was installed.' });
    expect(cancelled.scripts).toEqual([`/bin/mkdir -p -m 755 ${locked} && /bin/ln -sfn -- '${executable}' ${locked}/builder-bar`]);
    const admin = recordingRunner();
    expect(await installCliLink({ executable, runner: admin, dir: locked, isWritable: notTheUsers })).toMatchObject({ ok: true });
    expect(admin.scripts).toHaveLength(1);
    expect(await readlink(path.join(locked, 'builder-bar'))).toBe(executable);
  });

  it('replaces a link to a moved Builder Bar app, and leaves anything else alone', async () => {
    const dir = path.join(root, 'existing');
    await mkdir(dir);
    await symlink('/Users/me/Downloads/Builder Bar.app/Contents/MacOS/Builder Bar', path.join(dir, 'builder-bar'));
    expect(await installCliLink({ executable, runner: recordingRunner(), dir })).toMatchObject({ ok: true });
    expect(await readlink(path.join(dir, 'builder-bar'))).toBe(executable);

    const npmDir = path.join(root, 'npm');
    await mkdir(npmDir);
    await symlink('../lib/node_modules/builder-bar/out/electron/cli/bin.js', path.join(npmDir, 'builder-bar'));
    expect(await installCliLink({ executable, runner: recordingRunner(), dir: npmDir })).toEqual({
      ok: false,
      message: `${npmDir}/builder-bar exists as a link to ${root}/lib/node_modules/builder-bar/out/electron/cli/bin.js; Builder Bar leaves it alone. Remove it, then install again.`,
    });
    const fileDir = path.join(root, 'file');
    await mkdir(fileDir);
    await writeFile(path.join(fileDir, 'builder-bar'), '#!/bin/sh\n');
    expect(await installCliLink({ executable, runner: recordingRunner(), dir: fileDir })).toMatchObject({ ok: false, message: expect.stringContaining('a file that is not a link') });
  });

  it('the admin script makes the link when run as root would run it', async () => {
    const dir = path.join(root, 'as-root', 'usr', 'local', 'bin');
    await recordingRunner().run(adminLinkScript(executable, dir));
    expect(await readlink(path.join(dir, 'builder-bar'))).toBe(executable);
    expect(() => adminLinkScript('relative/Builder Bar')).toThrow(/not absolute/);
    expect(() => adminLinkScript('/Applications/x\n/bin/sh')).toThrow(/control character/);
  });
});
