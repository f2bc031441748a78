/**
 * The `keys` share (KEYS, mounted at /var/keys in the guest) handed in the way nixpkgs'
 * create-builder does it, for both profiles: a directory holding the public key user `builder`
 * logs in with (`builder_ed25519.pub`, the name the guest's `AuthorizedKeysFile
 * /var/keys/%u_ed25519.pub` reads), added to the Nix store. The share uses 9p's
 * security_model=none (nixpkgs before 24.05; mapped-xattr since, which shows the same for files
 * without virtfs xattrs), so the guest sees the host's owners and modes; store files are root-owned
 * and read-only, which the guest sshd's StrictModes accepts, where a directory of the user's
 * (owned by the Mac's uid 501) would be refused. Public keys only: the store is readable by
 * everyone.
 *
 * The store path depends on the content alone (the same key gives the same path at every
 * start). An indirect GC root in the VM dir keeps it: sshd reads the file at every login, so a
 * garbage collection while the builder runs must not delete it.
 *
 * QEMU reads the share at the store path, so the path must be this machine's: a Nix that keeps
 * its store elsewhere (in a root of its own, as the tests' current Nix does) is told apart
 * (KeysShareNotVisible) before anything is rooted.
 */
import { execa } from 'execa';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BuilderBarError } from '../../errors.js';
import type { KeysShare } from '../profile.js';

/** The VM dir's link to the share's store path, registered as a GC root. */
export const KEYS_SHARE_LINK = 'keys-share';
/** Where the guest mounts the share (nixpkgs: nix-builder-vm.nix `keysDirectory`). */
export const GUEST_KEYS_DIR = '/var/keys';

/** The file sshd reads for `user` (`AuthorizedKeysFile /var/keys/%u_ed25519.pub`). */
export function authorizedKeyFileName(user: string): string {
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(user)) throw new Error(`Unsafe user name for the keys share: ${JSON.stringify(user)}`);
  return `${user}_ed25519.pub`;
}

/** The share as readiness examines it for `user`: the VM dir's GC-root link to the store path. */
export function keysShareOf(vmDir: string, user: string): KeysShare {
  return { hostDir: path.join(vmDir, KEYS_SHARE_LINK), guestDir: GUEST_KEYS_DIR, keyFile: authorizedKeyFileName(user) };
}

export interface KeysShareInput {
  vmDir: string;
  /** The guest user the key is for. */
  user: string;
  /** The client's public key line (`ssh-ed25519 AAAA… comment`). */
  clientPublicKey: string;
  /** The `nix-store` of the Nix Builder Bar uses. */
  nixStore: string;
  /** Its environment (tests: a Nix conf of their own); default this process's. */
  env?: Record<string, string>;
  signal?: AbortSignal;
}

function checkPublicKey(line: string): string {
  const trimmed = line.trim();
  // One ed25519 public key line: a private key or a second line has no business in the store.
  if (!/^ssh-ed25519 [A-Za-z0-9+/]+=*(?: [^\r\n]*)?$/.test(trimmed)) {
    throw new Error('The keys share takes one ssh-ed25519 public key line');
  }
  return trimmed;
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter((line) => line.trim() !== '').pop() ?? '';
}

function storeFailure(step: string, stderr: string, exitCode: number | undefined): BuilderBarError {
  return new BuilderBarError(
    'vm-failed',
    `Could not hand the builder's public key in through the Nix store (${step}): ${lastLine(stderr) || `exit ${exitCode}`}`,
    'The keys share must be root-owned, so it goes through the Nix store as nixpkgs\' create-builder does it: check that nix-store works for your user (the app log has Nix\'s output).',
  );
}

/** The Nix added the share to a store this machine does not see at the store path. */
export class KeysShareNotVisible extends BuilderBarError {
  constructor(readonly nixStore: string, readonly storePath: string) {
    super(
      'vm-failed',
      `${nixStore} added the keys share to ${storePath}, which this machine does not see at that path (that Nix keeps its store elsewhere), so QEMU cannot share it.`,
      'Hand the keys in with a Nix whose store is this machine\'s /nix/store.',
    );
    this.name = 'KeysShareNotVisible';
  }
}

/** Adds the keys directory to the Nix store, roots it in the VM dir, and answers its store path (KEYS). */
export async function addKeysShareToStore(input: KeysShareInput): Promise<string> {
  const publicKey = checkPublicKey(input.clientPublicKey);
  const fileName = authorizedKeyFileName(input.user);
  const work = await fs.mkdtemp(path.join(input.vmDir, '.keys-'));
  const options = {
    reject: false, stdin: 'ignore', ...(input.env ? { env: input.env } : {}), ...(input.signal ? { cancelSignal: input.signal } : {}),
  } as const;
  try {
    // Named `keys`, so the store path reads /nix/store/<hash>-keys, as create-builder's does.
    const dir = path.join(work, 'keys');
    await fs.mkdir(dir, { mode: 0o755 });
    await fs.writeFile(path.join(dir, fileName), `${publicKey}\n`, { mode: 0o644 });
    const added = await execa(input.nixStore, ['--add', dir], options);
    if (added.exitCode !== 0) throw storeFailure('nix-store --add', added.stderr, added.exitCode);
    const storePath = lastLine(added.stdout);
    if (!path.isAbsolute(storePath) || !storePath.endsWith('-keys')) {
      throw new BuilderBarError('vm-failed', `nix-store --add answered ${JSON.stringify(storePath)}, not a store path.`);
    }
    const seen = await fs.readFile(path.join(storePath, fileName), 'utf8').catch(() => null);
    if (seen !== `${publicKey}\n`) throw new KeysShareNotVisible(input.nixStore, storePath);
    const rooted = await execa(input.nixStore, ['--realise', storePath, '--add-root', path.join(input.vmDir, KEYS_SHARE_LINK), '--indirect'], options);
    if (rooted.exitCode !== 0) throw storeFailure('nix-store --add-root', rooted.stderr, rooted.exitCode);
    return storePath;
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

/**
 * addKeysShareToStore with the first of `nixStores` whose store this machine sees (the Nix in
 * use first); a later one is used, and `report` says so, only when an earlier one keeps its
 * store elsewhere. On a Mac there is one Nix and its store is /nix/store, so the first always
 * does. The fallback is for this project's tests: their current Nix (2.34, beside Debian's 2.8)
 * runs in a bubblewrap root of its own with its own /nix (resources/setup/nix-in-root.pl), so a
 * store path it answers does not exist for the QEMU on this machine, which then cannot open KEYS
 * (nixThroughCore on Nix 2.34 did exactly that before this); Debian's Nix on PATH hands it in.
 */
export async function addKeysShareWithVisibleStore(nixStores: string[], input: Omit<KeysShareInput, 'nixStore'>, report: (message: string) => void): Promise<string> {
  let invisible: KeysShareNotVisible | null = null;
  for (const nixStore of nixStores) {
    try {
      const keys = await addKeysShareToStore({ ...input, nixStore });
      if (invisible) report(`${invisible.message} Handed it in with ${nixStore} instead.`);
      return keys;
    } catch (error) {
      if (!(error instanceof KeysShareNotVisible)) throw error;
      invisible ??= error;
    }
  }
  throw invisible ?? new BuilderBarError('nix-missing', 'No Nix to hand the keys share in with.', 'Install Nix, or set nixBinDir.');
}
