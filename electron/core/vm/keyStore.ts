/**
 * This install's ssh keys: the client key the supervisor (and later Nix) logs in with, and for
 * profiles that take one, the guest's host key, whose public half is pinned. A fixed host key
 * (nixpkgs' darwin.linux-builder ships one, public in its repository) is pinned too, with the
 * reason trusting it is weak shown in the status. Files are written atomically with explicit
 * modes (private keys 0600 in a 0700 dir), and modes someone loosened are tightened again.
 * Keys are made only where none exist: a key that cannot be read is an error, never a reason to
 * make new ones (that would silently break the pinned wiring). The one exception is a pair whose
 * files no ssh can parse (ssh2's old generator, a file cut short) or half of a pair: it never
 * worked, so new keys are made, the old files are set aside (never overwritten) and the start
 * says so, because Nix must be wired again with the new client key.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
// ssh2 is CommonJS and Node's ESM loader cannot see `utils` as a named export (it can see `Client`).
import ssh2 from 'ssh2';

const { utils } = ssh2;
import type { HostKeyInfo } from '../../ipc/contract.js';
import { BuilderBarError } from '../errors.js';
import { ensurePrivateDir, writeFileAtomic } from '../util/atomicWrite.js';
import { describeFileType } from '../util/regularFile.js';
import { generateEd25519KeyPair, isReadablePair } from './ed25519KeyPair.js';
import type { BuilderProfile, HostKeyPolicy, VmFiles } from './profile.js';
import type { BootRecord } from './vmFiles.js';

export const CLIENT_KEY_FILE = 'client_ed25519';
export const HOST_KEY_FILE = 'guest_host_ed25519';

export interface InstallKeys {
  clientPrivateKey: string;
  clientPublicKey: string;
  /** For profiles with a per-install host key: the private key the guest is given. */
  hostPrivateKey: string | null;
  /** The exact host key the guest must present; anything else is refused. */
  pinnedHostKey: HostKeyInfo;
  /** The pinned key's wire blob, compared byte for byte in the ssh host verifier. */
  pinnedHostKeyBlob: Buffer;
  /** Key files no ssh could use (unparseable, or half a pair), moved here before new keys were made. */
  setAside: string[];
}

/** The app-log line for keys made anew (InstallKeys.setAside), or null when none were. */
export function describeSetAsideKeys(setAside: readonly string[]): string | null {
  if (setAside.length === 0) return null;
  return (
    `Made new ssh keys: the old key files were incomplete or unreadable to ssh, and are kept as ${setAside.join(', ')}. ` +
    'Run "builder-bar nix apply" (or Wire Nix in the Nix place) so Nix logs in with the new client key.'
  );
}

/** `SHA256:...` as `ssh-keygen -lf` prints it: unpadded base64 of the key blob's SHA-256. */
export function fingerprintOfBlob(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The wire blob of an OpenSSH public-key line (`ssh-ed25519 AAAA... comment`). */
export function publicKeyBlob(publicKeyLine: string): Buffer {
  const parsed = utils.parseKey(publicKeyLine.trim());
  if (parsed instanceof Error) throw new Error(`Not an OpenSSH public key: ${parsed.message}`);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key) throw new Error('Not an OpenSSH public key');
  return key.getPublicSSH();
}

export function fingerprintOfPublicKey(publicKeyLine: string): string {
  return fingerprintOfBlob(publicKeyBlob(publicKeyLine));
}

/** The host key policy of the profile's next start. */
export async function hostKeyPolicyFor(profile: BuilderProfile, files: VmFiles): Promise<HostKeyPolicy> {
  return profile.hostKeyPolicyNow ? profile.hostKeyPolicyNow(files) : profile.hostKeyPolicy;
}

/**
 * The policy a running builder was started with, from its boot record: a builder keeps the key
 * it booted with even when the next start would use another (the Mac builder's own image
 * realised meanwhile). A record from before records kept this is read as the profile's default.
 */
export function hostKeyPolicyOfBoot(profile: BuilderProfile, record: Pick<BootRecord, 'hostKey'> | null): HostKeyPolicy {
  if (record?.hostKey === 'per-install') return { kind: 'per-install' };
  return profile.hostKeyPolicy;
}

/** Reads the install's keys, making any that are missing; `policy` says which host key is pinned. */
export async function ensureInstallKeys(keysDir: string, profile: BuilderProfile, policy: HostKeyPolicy = profile.hostKeyPolicy): Promise<InstallKeys> {
  await ensurePrivateDir(keysDir);
  const setAside: string[] = [];
  const client = await ensureKeyPair(keysDir, CLIENT_KEY_FILE, 'builder-bar client', setAside);
  if (policy.kind === 'fixed') {
    const publicKey = policy.publicKey.trim();
    const blob = publicKeyBlob(publicKey);
    return {
      clientPrivateKey: client.privateKey,
      clientPublicKey: client.publicKey,
      hostPrivateKey: null,
      pinnedHostKey: { fingerprint: fingerprintOfBlob(blob), publicKey, weakness: policy.weakness },
      pinnedHostKeyBlob: blob,
      setAside,
    };
  }
  const host = await ensureKeyPair(keysDir, HOST_KEY_FILE, 'builder-bar guest host key', setAside);
  let blob: Buffer;
  try {
    blob = publicKeyBlob(host.publicKey);
  } catch (error) {
    throw new BuilderBarError(
      'vm-failed',
      `The pinned host key ${path.join(keysDir, `${HOST_KEY_FILE}.pub`)} cannot be read: ${(error as Error).message}`,
      `Delete ${path.join(keysDir, HOST_KEY_FILE)} and its .pub to make a new host key for the builder.`,
    );
  }
  return {
    clientPrivateKey: client.privateKey,
    clientPublicKey: client.publicKey,
    hostPrivateKey: host.privateKey,
    pinnedHostKey: { fingerprint: fingerprintOfBlob(blob), publicKey: host.publicKey, weakness: null },
    pinnedHostKeyBlob: blob,
    setAside,
  };
}

interface KeyPair {
  privateKey: string;
  publicKey: string;
}

/**
 * A keypair as two files, `name` (0600) and `name.pub` (0644). The public file is the pin and
 * is never rewritten from the private key: if someone replaced it, the guest's key will not
 * match and the connection is refused, which is the point of pinning.
 */
async function ensureKeyPair(keysDir: string, name: string, comment: string, setAside: string[]): Promise<KeyPair> {
  const privatePath = path.join(keysDir, name);
  const publicPath = `${privatePath}.pub`;
  const existingPrivate = await readIfPresent(privatePath);
  const existingPublic = await readIfPresent(publicPath);
  // A pair no ssh implementation can read (ssh2's generator wrote 1 in 256 so before
  // ed25519KeyPair.ts) never worked: it is replaced rather than kept as a pin.
  const readable = existingPrivate !== null && existingPublic !== null && isReadablePair({ private: existingPrivate, public: existingPublic });
  if (existingPrivate !== null && existingPublic !== null && readable) {
    await tightenMode(privatePath, 0o600);
    await tightenMode(publicPath, 0o644);
    return { privateKey: existingPrivate, publicKey: existingPublic.trim() };
  }
  // Kept, not overwritten: a half or a pair cut short may still be someone's only copy of a key.
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  for (const [file, text] of [[privatePath, existingPrivate], [publicPath, existingPublic]] as const) {
    if (text === null) continue;
    const kept = `${file}.unusable-${stamp}`;
    await fs.rename(file, kept);
    setAside.push(kept);
  }
  const generated = generateEd25519KeyPair(comment);
  // Private first: a crash between the two writes leaves a private key without .pub, which the
  // next run sets aside and replaces whole, never a .pub pin without its private key.
  await writeFileAtomic(privatePath, generated.private, { mode: 0o600 });
  await writeFileAtomic(publicPath, `${generated.public}\n`, { mode: 0o644 });
  return { privateKey: generated.private, publicKey: generated.public.trim() };
}

/**
 * A key file's text, or null when there is none (ENOENT: the only case that makes new keys).
 * Any other failure (no permission, too many open files, a directory in its place) is an error
 * naming the file: new keys would no longer match the pinned host key and the client key Nix
 * was wired with, so they are never made because a read failed.
 */
async function readIfPresent(file: string): Promise<string | null> {
  // A FIFO (or a device) would block a plain read for ever, and with it the core's start
  // (adoption reads the keys): what it is gets named instead. A directory fails the read (EISDIR).
  const stat = await fs.stat(file).catch(() => null);
  if (stat && !stat.isFile() && !stat.isDirectory()) {
    throw new BuilderBarError(
      'vm-failed',
      `Cannot read the key file ${file} (it is ${describeFileType(stat)}, not a file). Builder Bar did not make new keys: they would not match the keys Nix is wired with.`,
      unreadableKeyHint(file, 'EISDIR'),
    );
  }
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new BuilderBarError(
      'vm-failed',
      `Cannot read the key file ${file} (${code ?? 'error'}: ${(error as Error).message}). Builder Bar did not make new keys: they would not match the keys Nix is wired with.`,
      unreadableKeyHint(file, code),
    );
  }
}

function unreadableKeyHint(file: string, code: string | undefined): string {
  const remake = `If the key is lost for good, delete ${file} and its pair (${path.basename(file)} and ${path.basename(file)}.pub) to make new keys, then run \`builder-bar nix apply\` again.`;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return `Make the file readable by your user again (chown it to you, chmod 600) and start the builder again. ${remake}`;
    case 'EMFILE':
    case 'ENFILE':
      return `The system ran out of open files: quit programs that hold many, or raise the limit (ulimit -n), and start the builder again.`;
    case 'EISDIR':
      return `Something other than a key file is at that path: move it away. ${remake}`;
    default:
      return `Check the file and the disk, then start the builder again. ${remake}`;
  }
}

async function tightenMode(file: string, mode: number): Promise<void> {
  const stat = await fs.stat(file);
  if ((stat.mode & 0o777) !== mode) await fs.chmod(file, mode);
}
