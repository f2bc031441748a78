/**
 * What a start says when the file system refuses the state dir: the directory, why, and what to
 * do, never a raw `EPERM: operation not permitted, chmod '…'`. The refusals root meets too are
 * made for real (a file in the way, `chattr +i`, a read-only bind mount, a full tmpfs); EACCES
 * and a directory of another user cannot stop root, so those go through the explanation with
 * the error the system would give a user.
 */
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCore } from './createCore.js';
import { BuilderBarError } from './errors.js';
import { prepareStateDir } from './stateDir.js';
import { ELSEWHERE, stateDirProblem, type WhoAmI } from './stateDirProblem.js';
import { bindReadOnly, makeImmutable } from './testing/refusingDirs.js';

let root: string;
const undo: Array<() => Promise<void>> = [];
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'bb-statedir-refused-'));
});
afterEach(async () => {
  for (const step of undo.splice(0).reverse()) await step();
  await rm(root, { recursive: true, force: true });
});

async function refusal(dir: string): Promise<BuilderBarError> {
  const error = await prepareStateDir(dir).then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(BuilderBarError);
  return error as BuilderBarError;
}

function errno(code: string, syscall: string, at: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${syscall} '${at}'`), { code, syscall, path: at });
}

describe('a state dir the file system refuses', () => {
  it('under a file: names the file in the way', async () => {
    const file = path.join(root, 'file');
    await writeFile(file, 'x');
    const error = await refusal(path.join(file, 'state'));
    expect(error.message).toBe(`${path.join(file, 'state')} cannot be the state dir: ${file} is a file, not a directory.`);
    expect(error.hint).toBe(`Pick an empty or new directory for --state-dir (or BUILDER_BAR_HOME), or move ${file} away.`);
  });

  it('that cannot be changed (chmod refused, as for a directory of another user): says so, with the commands', async (context) => {
    const dir = path.join(root, 'state');
    await mkdir(dir, { mode: 0o755 });
    const locked = await makeImmutable(dir);
    if (!locked.ok) return context.skip(locked.reason);
    undo.push(locked.undo);
    const error = await refusal(dir);
    expect(error.message).toBe(`${dir} cannot be the state dir: it is yours, but Builder Bar may not change it (chmod failed with EPERM).`);
    expect(error.hint).toBe(`Let yourself write it: chmod 700 '${dir}'. If that is refused too, it is locked (lsattr -d shows an "i" flag; chattr -R -i removes it, as root). ${ELSEWHERE}`);
  });

  it('on a read-only file system: says so, and how to start elsewhere', async (context) => {
    const disk = path.join(root, 'disk');
    await mkdir(disk);
    const readOnly = await bindReadOnly(disk);
    if (!readOnly.ok) return context.skip(readOnly.reason);
    undo.push(readOnly.undo);
    const error = await refusal(path.join(disk, 'state'));
    expect(error.message).toBe(`${path.join(disk, 'state')} cannot be the state dir: it is on a read-only file system (mkdir failed with EROFS).`);
    expect(error.hint).toContain('make that file system writable again');
    expect(error.hint).toContain('--state-dir DIR (or BUILDER_BAR_HOME=DIR)');
  });

  it('on a full disk: says so, and where to look', async (context) => {
    if (process.getuid?.() !== 0) return context.skip('mounting a small tmpfs needs root');
    const disk = path.join(root, 'small');
    await mkdir(disk);
    const mounted = await execa('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', disk], { reject: false });
    if (mounted.exitCode !== 0) return context.skip(`mount -t tmpfs failed: ${String(mounted.stderr).trim()}`);
    undo.push(async () => void (await execa('umount', ['-l', disk], { reject: false })));
    await execa('dd', ['if=/dev/zero', `of=${path.join(disk, 'filler')}`, 'bs=4k', 'count=64'], { reject: false });
    const error = await refusal(path.join(disk, 'state'));
    expect(error.message).toMatch(new RegExp(`^${path.join(disk, 'state')} cannot be the state dir: the disk it is on is full \\(\\w+ failed with ENOSPC\\)\\.$`));
    expect(error.hint).toContain(`df -h '${path.join(disk, 'state')}'`);
  });

  it('is refused where the core starts too: createCore names the directory and the way out', async (context) => {
    const dir = path.join(root, 'core-state');
    await mkdir(dir, { mode: 0o755 });
    const locked = await makeImmutable(dir);
    if (!locked.ok) return context.skip(locked.reason);
    undo.push(locked.undo);
    const error = await createCore({ stateDir: dir, platform: 'linux', limits: { cpus: 4, memoryMiB: 8192 } }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(BuilderBarError);
    expect((error as BuilderBarError).message).toContain(`${dir} cannot be the state dir`);
  });
});

describe('explaining what stops a user (not root)', () => {
  const alice: WhoAmI = { uid: 501, name: 'alice', home: '/Users/alice' };

  it("a state dir of another user: who owns it, and the chown that gives it back", async () => {
    const dir = path.join(root, "bob's state");
    await mkdir(dir);
    await chown(dir, 502, 20).catch(() => undefined);
    const owner = (await import('node:fs')).statSync(dir).uid;
    const error = await stateDirProblem(dir, errno('EPERM', 'chmod', dir), { ...alice, uid: owner + 1 });
    expect(error?.message).toBe(`${dir} cannot be the state dir: it belongs to uid ${owner}, not to you (alice, uid ${owner + 1}), so Builder Bar may not take it as its state dir (chmod failed with EPERM).`);
    expect(error?.hint).toBe(
      `If it is your state dir (made by a "sudo builder-bar …" perhaps), give it back to you: sudo chown -R alice '${root}/bob'\\''s state' && chmod 700 '${root}/bob'\\''s state'. ${ELSEWHERE}`,
    );
  });

  it('a HOME that does not exist: names HOME, the directory it may not make, and the way out', async () => {
    const home = path.join(root, 'nonexistent');
    const dir = path.join(home, '.local', 'state', 'builder-bar');
    const error = await stateDirProblem(dir, errno('EACCES', 'mkdir', home), { ...alice, home });
    expect(error?.message).toMatch(new RegExp(`^${dir} cannot be the state dir: it does not exist, and you may not create it in ${root} \\(owned by uid \\d+; mkdir failed with EACCES\\)\\.$`));
    expect(error?.hint).toBe(
      `It lies in your home directory, HOME=${home}, which does not exist or is not yours: set HOME to your home directory. ` +
        `To keep it there, have it made for you: sudo mkdir -p '${dir}' && sudo chown alice '${dir}'. ${ELSEWHERE}`,
    );
  });

  it('passes on, as it is, an error no user can fix (a bug to report)', async () => {
    expect(await stateDirProblem(root, errno('EINVAL', 'mkdir', root), alice)).toBeNull();
    expect(await stateDirProblem(root, new Error('no code'), alice)).toBeNull();
  });
});
