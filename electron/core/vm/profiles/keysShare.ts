/**
 * The `keys` share the way nixpkgs' `create-builder` makes it: a directory holding
 * `<user>_ed25519.pub`, added to the Nix store (`nix-store --add`), and the store path handed to
 * the run script as KEYS. The share uses security_model=none, so the guest sees the host's owners:
 * a user-owned directory shows up owned by the Mac's uid and the guest's sshd (StrictModes)
 * refuses the key; a store path is root's. Public keys only: the store is world-readable.
 * The path is kept by a GC root next to the VM's files, so a garbage collection while the
 * builder runs does not take it.
 */
import { execa } from 'execa';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BuilderBarError } from '../../errors.js';
import { writeFileAtomic } from '../../util/atomicWrite.js';

export const KEYS_SHARE_DIR = 'keys';
export const KEYS_SHARE_ROOT = 'keys-root';

export interface KeysShareInput {
  /** The VM dir: the staging directory and the GC root live there. */
  vmDir: string;
  nixStore: string;
  /** The guest user whose authorized key this is (`builder`). */
  user: string;
  clientPublicKey: string;
  env?: Record<string, string>;
  signal?: AbortSignal;
}

function checkPublicKeyLine(line: string): string {
  const trimmed = line.trim();
  if (!/^ssh-ed25519 [A-Za-z0-9+/=]+( [^\n\r]*)?$/.test(trimmed)) throw new BuilderBarError('internal', 'The client key to hand to the builder is not one ed25519 public key line.');
  return trimmed;
}

/** The store path of the keys share for this client key. */
export async function addKeysShare(input: KeysShareInput): Promise<string> {
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(input.user)) throw new BuilderBarError('internal', `Not a guest user name: ${JSON.stringify(input.user)}`);
  const staging = path.join(input.vmDir, KEYS_SHARE_DIR);
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(staging, { mode: 0o755 });
  await writeFileAtomic(path.join(staging, `${input.user}_ed25519.pub`), `${checkPublicKeyLine(input.clientPublicKey)}\n`, { mode: 0o644 });
  const run = (args: string[]) => execa(input.nixStore, args, {
    reject: false, ...(input.env ? { env: input.env } : {}), ...(input.signal ? { cancelSignal: input.signal } : {}),
  });
  const added = await run(['--add', staging]);
  const storePath = added.stdout.trim().split('\n').pop() ?? '';
  if (added.exitCode !== 0 || !storePath.startsWith('/')) {
    throw new BuilderBarError('vm-failed', `nix-store --add of the builder's keys failed: ${added.stderr.trim().split('\n').pop() ?? 'no output'}`,
      'Check that Nix works (`nix-store --version`); the builder reads its authorized key from the Nix store.');
  }
  const root = path.join(input.vmDir, KEYS_SHARE_ROOT);
  await fs.rm(root, { force: true });
  const rooted = await run(['--realise', storePath, '--add-root', root, '--indirect']);
  if (rooted.exitCode !== 0) {
    throw new BuilderBarError('vm-failed', `Could not keep the builder's keys from garbage collection: ${rooted.stderr.trim().split('\n').pop() ?? 'no output'}`);
  }
  return storePath;
}
