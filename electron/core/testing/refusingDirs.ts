/**
 * Directories the file system refuses to change, for tests of what a user then sees. These tests
 * run as root, which file modes do not stop, so the refusals come from what stops root too: an
 * immutable directory (`chattr +i`: chmod and new entries fail with EPERM) and a read-only bind
 * mount (EROFS). Each helper returns its undo, or why this machine cannot do it (the test then
 * says so and skips); EACCES itself cannot be made to happen as root.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';

export type Refusal = { ok: true; undo: () => Promise<void> } | { ok: false; reason: string };

/** Makes `dir` immutable: chmod, new entries and renames in it fail with EPERM, for root too. */
export async function makeImmutable(dir: string): Promise<Refusal> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return { ok: false, reason: 'chattr +i needs root on Linux' };
  const set = await execa('chattr', ['+i', dir], { reject: false });
  const undo = async (): Promise<void> => void (await execa('chattr', ['-i', dir], { reject: false }));
  const refuses = await fs.chmod(dir, 0o700).then(() => false, () => true);
  if (set.exitCode === 0 && refuses) return { ok: true, undo };
  await undo();
  return { ok: false, reason: `chattr +i did not make ${dir} refuse a chmod (${String(set.stderr || 'no message').trim()})` };
}

/** Mounts `dir` read-only over itself: anything made or changed in it fails with EROFS. */
export async function bindReadOnly(dir: string): Promise<Refusal> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return { ok: false, reason: 'a read-only bind mount needs root on Linux' };
  const undo = async (): Promise<void> => {
    const result = await execa('umount', [dir], { reject: false });
    if (result.exitCode !== 0) await execa('umount', ['-l', dir], { reject: false });
  };
  const bound = await execa('mount', ['--bind', dir, dir], { reject: false });
  if (bound.exitCode !== 0) return { ok: false, reason: `mount --bind failed: ${String(bound.stderr).trim()}` };
  const remounted = await execa('mount', ['-o', 'remount,bind,ro', dir], { reject: false });
  const refuses = await fs.writeFile(path.join(dir, '.probe'), '').then(() => false, () => true);
  if (remounted.exitCode === 0 && refuses) return { ok: true, undo };
  await undo();
  return { ok: false, reason: `mount -o remount,bind,ro failed: ${String(remounted.stderr).trim()}` };
}
