import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, constants as fsConstants, mkdirSync, openSync, mkdtempSync, promises as fsPromises, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { utils } from 'ssh2';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BuilderBarError } from '../errors.js';
import type { BuilderProfile } from './profile.js';
import { CLIENT_KEY_FILE, describeSetAsideKeys, ensureInstallKeys, fingerprintOfPublicKey, HOST_KEY_FILE, hostKeyPolicyFor, hostKeyPolicyOfBoot } from './keyStore.js';
import { generateEd25519KeyPair } from './ed25519KeyPair.js';

const NIXPKGS_HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJBWcxb/Blaqt1auOtE+F8QUWrUotiC5qBJ+UuEWdVCb root@nixos';

function profileWith(hostKeyPolicy: BuilderProfile['hostKeyPolicy']): BuilderProfile {
  return {
    name: hostKeyPolicy.kind === 'fixed' ? 'darwin-linux-builder' : 'linux-test',
    qemuBinaryName: 'qemu-system-x86_64',
    acceleratorCandidates: ['tcg'],
    sshUser: 'builder',
    readinessCommand: 'true',
    hostKeyPolicy,
    prepare: () => Promise.reject(new Error('not used by the key store')),
    launchPlan: () => {
      throw new Error('not used by the key store');
    },
  };
}

const mode = (file: string): number => statSync(file).mode & 0o777;
let root: string;
let keysDir: string;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-keys-'));
  keysDir = path.join(root, 'keys');
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(root, { recursive: true, force: true });
});

function hasSshKeygen(): boolean {
  try {
    execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    return (error as { status?: number }).status !== undefined;
  }
}

describe('the install key store', () => {
  it('makes a client key and a guest host key, private 0600 in a 0700 dir, and keeps them across runs', async () => {
    const first = await ensureInstallKeys(keysDir, profileWith({ kind: 'per-install' }));
    expect(mode(keysDir)).toBe(0o700);
    expect(mode(path.join(keysDir, CLIENT_KEY_FILE))).toBe(0o600);
    expect(mode(path.join(keysDir, HOST_KEY_FILE))).toBe(0o600);
    expect(mode(path.join(keysDir, `${HOST_KEY_FILE}.pub`))).toBe(0o644);
    expect(first.clientPrivateKey).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
    expect(first.clientPublicKey).toMatch(/^ssh-ed25519 AAAA/);
    expect(first.hostPrivateKey).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
    expect(first.pinnedHostKey.weakness).toBeNull();
    expect(first.pinnedHostKey.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);

    const second = await ensureInstallKeys(keysDir, profileWith({ kind: 'per-install' }));
    expect(second.clientPublicKey).toBe(first.clientPublicKey);
    expect(second.pinnedHostKey).toEqual(first.pinnedHostKey);
  });

  it('pins the public half of the host private key it gives the guest', async () => {
    const keys = await ensureInstallKeys(keysDir, profileWith({ kind: 'per-install' }));
    const parsed = utils.parseKey(keys.hostPrivateKey ?? '');
    if (parsed instanceof Error || Array.isArray(parsed)) throw new Error('host key did not parse');
    expect(parsed.getPublicSSH().equals(keys.pinnedHostKeyBlob)).toBe(true);
  });

  it('tightens modes someone loosened', async () => {
    await ensureInstallKeys(keysDir, profileWith({ kind: 'per-install' }));
    chmodSync(keysDir, 0o755);
    chmodSync(path.join(keysDir, CLIENT_KEY_FILE), 0o644);
    await ensureInstallKeys(keysDir, profileWith({ kind: 'per-install' }));
    expect(mode(keysDir)).toBe(0o700);
    expect(mode(path.join(keysDir, CLIENT_KEY_FILE))).toBe(0o600);
  });

  it('for a fixed-key profile pins the published key, says why it is weak, and makes no host key', async () => {
    const keys = await ensureInstallKeys(keysDir, profileWith({ kind: 'fixed', publicKey: NIXPKGS_HOST_KEY, weakness: 'public in nixpkgs' }));
    expect(keys.hostPrivateKey).toBeNull();
    expect(keys.pinnedHostKey).toEqual({
      fingerprint: fingerprintOfPublicKey(NIXPKGS_HOST_KEY),
      publicKey: NIXPKGS_HOST_KEY,
      weakness: 'public in nixpkgs',
    });
    expect(() => statSync(path.join(keysDir, HOST_KEY_FILE))).toThrow();
  });

  it.runIf(hasSshKeygen())('prints the same fingerprint as ssh-keygen -lf', async () => {
    const keys = await ensureInstallKeys(keysDir, profileWith({ kind: 'per-install' }));
    const printed = execFileSync('ssh-keygen', ['-lf', path.join(keysDir, `${HOST_KEY_FILE}.pub`)], { encoding: 'utf8' });
    expect(printed.split(' ')[1]).toBe(keys.pinnedHostKey.fingerprint);
    const printedFixed = execFileSync('ssh-keygen', ['-lf', '-'], { input: NIXPKGS_HOST_KEY, encoding: 'utf8' });
    expect(printedFixed.split(' ')[1]).toBe(fingerprintOfPublicKey(NIXPKGS_HOST_KEY));
  });

  it('replaces a pair that no ssh can read (what ssh2\'s generator wrote 1 in 256 times)', async () => {
    const truncated = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAH6jYgkClbA4rdzI3MPn8wjzpB81WO3HC3sM82yCS4k8= builder-bar client';
    mkdirSync(keysDir, { recursive: true, mode: 0o700 });
    writeFileSync(path.join(keysDir, CLIENT_KEY_FILE), '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n', { mode: 0o600 });
    writeFileSync(path.join(keysDir, `${CLIENT_KEY_FILE}.pub`), `${truncated}\n`);
    const keys = await ensureInstallKeys(keysDir, profileWith({ kind: 'per-install' }));
    expect(keys.clientPublicKey).not.toBe(truncated);
    expect(utils.parseKey(readFileSync(path.join(keysDir, CLIENT_KEY_FILE), 'utf8'))).not.toBeInstanceOf(Error);
    expect(readFileSync(path.join(keysDir, `${CLIENT_KEY_FILE}.pub`), 'utf8').trim()).toBe(keys.clientPublicKey);
    // The old files are kept beside the new ones, and the start says so and what to do.
    expect(keys.setAside).toHaveLength(2);
    const [keptPrivate, keptPublic] = keys.setAside as [string, string];
    expect(path.dirname(keptPrivate)).toBe(keysDir);
    expect(readFileSync(keptPrivate, 'utf8')).toContain('AAAA');
    expect(mode(keptPrivate)).toBe(0o600);
    expect(readFileSync(keptPublic, 'utf8').trim()).toBe(truncated);
    expect(describeSetAsideKeys(keys.setAside)).toMatch(/^Made new ssh keys: .* kept as .*client_ed25519\.unusable-.*builder-bar nix apply/);
    // Keys that work are not set aside again.
    expect((await ensureInstallKeys(keysDir, profileWith({ kind: 'per-install' }))).setAside).toEqual([]);
    expect(describeSetAsideKeys([])).toBeNull();
  });

  it('sets aside half a pair (a .pub whose private key was deleted) instead of writing over it', async () => {
    const lone = generateEd25519KeyPair();
    mkdirSync(keysDir, { recursive: true, mode: 0o700 });
    writeFileSync(path.join(keysDir, `${HOST_KEY_FILE}.pub`), `${lone.public}\n`);
    const keys = await ensureInstallKeys(keysDir, profileWith({ kind: 'per-install' }));
    expect(keys.pinnedHostKey.publicKey).not.toBe(lone.public);
    expect(keys.setAside).toHaveLength(1);
    expect(readFileSync(keys.setAside[0] as string, 'utf8').trim()).toBe(lone.public);
  });

  it('keeps a replaced .pub pin as it is, so a guest with the old key is refused', async () => {
    const before = await ensureInstallKeys(keysDir, profileWith({ kind: 'per-install' }));
    const other = generateEd25519KeyPair();
    writeFileSync(path.join(keysDir, `${HOST_KEY_FILE}.pub`), `${other.public}\n`);
    const after = await ensureInstallKeys(keysDir, profileWith({ kind: 'per-install' }));
    expect(after.pinnedHostKey.publicKey).toBe(other.public);
    expect(after.pinnedHostKey.fingerprint).not.toBe(before.pinnedHostKey.fingerprint);
    expect(readFileSync(path.join(keysDir, HOST_KEY_FILE), 'utf8')).toBe(before.hostPrivateKey);
  });

  it('never makes new keys because a key file could not be read: it names the file instead', async () => {
    const before = await ensureInstallKeys(keysDir, profileWith({ kind: 'per-install' }));
    const pin = path.join(keysDir, `${HOST_KEY_FILE}.pub`);
    rmSync(pin);
    mkdirSync(pin); // a real read error: EISDIR
    const error = await ensureInstallKeys(keysDir, profileWith({ kind: 'per-install' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuilderBarError);
    expect((error as BuilderBarError).message).toMatch(new RegExp(`Cannot read the key file ${pin} \\(EISDIR.*did not make new keys`));
    expect((error as BuilderBarError).hint).toMatch(/move it away/);
    expect(readFileSync(path.join(keysDir, HOST_KEY_FILE), 'utf8')).toBe(before.hostPrivateKey);
    expect(readFileSync(path.join(keysDir, CLIENT_KEY_FILE), 'utf8')).toBe(before.clientPrivateKey);
  });

  it('names a FIFO at a key file instead of waiting on it for ever, and keeps the keys', async () => {
    const before = await ensureInstallKeys(keysDir, profileWith({ kind: 'per-install' }));
    const pin = path.join(keysDir, `${HOST_KEY_FILE}.pub`);
    rmSync(pin);
    execFileSync('mkfifo', [pin]);
    const outcome = await Promise.race([
      ensureInstallKeys(keysDir, profileWith({ kind: 'per-install' })).catch((e: unknown) => e),
      new Promise((resolve) => setTimeout(() => resolve('hung'), 3_000).unref()),
    ]);
    // A plain read still waiting on the FIFO lets go once its other end opens (O_RDWR: both at once).
    closeSync(openSync(pin, fsConstants.O_RDWR | fsConstants.O_NONBLOCK));
    expect(outcome).toBeInstanceOf(BuilderBarError);
    expect((outcome as BuilderBarError).message).toContain(`Cannot read the key file ${pin} (it is a FIFO, not a file)`);
    expect((outcome as BuilderBarError).hint).toMatch(/move it away/);
    expect(readFileSync(path.join(keysDir, HOST_KEY_FILE), 'utf8')).toBe(before.hostPrivateKey);
  });

  it.each([
    ['EACCES', /readable by your user/],
    ['EMFILE', /ulimit -n/],
  ])('keeps the keys when reading one fails with %s, and says what to do', async (code, hint) => {
    const before = await ensureInstallKeys(keysDir, profileWith({ kind: 'per-install' }));
    const clientKey = path.join(keysDir, CLIENT_KEY_FILE);
    const realReadFile = fsPromises.readFile.bind(fsPromises);
    vi.spyOn(fsPromises, 'readFile').mockImplementation(((file: Parameters<typeof realReadFile>[0], options?: Parameters<typeof realReadFile>[1]) =>
      file === clientKey
        ? Promise.reject(Object.assign(new Error(`${code}: simulated, open '${clientKey}'`), { code }))
        : realReadFile(file, options)) as typeof fsPromises.readFile);
    const error = await ensureInstallKeys(keysDir, profileWith({ kind: 'per-install' })).catch((e: unknown) => e);
    vi.restoreAllMocks();
    expect((error as BuilderBarError).message).toMatch(new RegExp(`Cannot read the key file ${clientKey} \\(${code}`));
    expect((error as BuilderBarError).hint).toMatch(hint);
    expect(readFileSync(clientKey, 'utf8')).toBe(before.clientPrivateKey);
  });
});

describe('the host key a start or a running builder pins', () => {
  const published = { kind: 'fixed' as const, publicKey: NIXPKGS_HOST_KEY, weakness: 'public' };

  it('a running builder keeps the key it booted with, whatever the next start would use', () => {
    const mac = profileWith(published);
    expect(hostKeyPolicyOfBoot(mac, { hostKey: 'per-install' })).toEqual({ kind: 'per-install' });
    expect(hostKeyPolicyOfBoot(mac, { hostKey: 'fixed' })).toEqual(published);
    // A boot record from before the key was recorded: the profile's default.
    expect(hostKeyPolicyOfBoot(mac, {})).toEqual(published);
    expect(hostKeyPolicyOfBoot(mac, null)).toEqual(published);
  });

  it('a start asks the profile when its key can change, else takes its default', async () => {
    const files = { vmDir: '/vm' } as Parameters<typeof hostKeyPolicyFor>[1];
    expect(await hostKeyPolicyFor(profileWith(published), files)).toEqual(published);
    const changing: BuilderProfile = { ...profileWith(published), hostKeyPolicyNow: async () => ({ kind: 'per-install' }) };
    expect(await hostKeyPolicyFor(changing, files)).toEqual({ kind: 'per-install' });
  });
});
