// The keys share through this machine's real Nix (tests run as root with Debian's Nix, whose
// store paths are root-owned, as a multi-user install's are on a Mac).
import { execa } from 'execa';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environmentNix } from '../../nix/nixInstallation.js';
import { generateEd25519KeyPair } from '../ed25519KeyPair.js';
import { addKeysShareToStore, addKeysShareWithVisibleStore, authorizedKeyFileName, KEYS_SHARE_LINK, KeysShareNotVisible } from './keysShare.js';

let root: string;
let vmDir: string;
let nixStore: string;
const clientPublicKey = generateEd25519KeyPair('builder-bar keys share test').public;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'bb-keys-share-'));
  // A VM dir with a space and a comma, as a state dir under "Application Support/Builder Bar, beta".
  vmDir = path.join(root, 'Builder Bar, beta', 'vm');
  await fs.mkdir(vmDir, { recursive: true, mode: 0o700 });
  nixStore = (await environmentNix().require()).programs['nix-store'];
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('the keys share handed in through the Nix store', () => {
  it('holds the public key as builder_ed25519.pub in a root-owned, read-only store path', async () => {
    const keys = await addKeysShareToStore({ vmDir, user: 'builder', clientPublicKey, nixStore });
    expect(keys).toMatch(/^\/nix\/store\/[0-9a-z]{32}-keys$/);
    expect((await fs.readdir(keys))).toEqual(['builder_ed25519.pub']);
    const file = path.join(keys, 'builder_ed25519.pub');
    expect(await fs.readFile(file, 'utf8')).toBe(`${clientPublicKey}\n`);
    const [fileInfo, dirInfo] = await Promise.all([fs.stat(file), fs.stat(keys)]);
    expect(fileInfo.uid).toBe(0);
    expect(dirInfo.uid).toBe(0);
    expect(fileInfo.mode & 0o777).toBe(0o444);
    expect(dirInfo.mode & 0o777).toBe(0o555);
  });

  it('gives the same store path for the same key, rooted by a link in the VM dir, and leaves nothing else behind', async () => {
    const first = await addKeysShareToStore({ vmDir, user: 'builder', clientPublicKey, nixStore });
    const second = await addKeysShareToStore({ vmDir, user: 'builder', clientPublicKey, nixStore });
    expect(second).toBe(first);
    expect(await fs.readlink(path.join(vmDir, KEYS_SHARE_LINK))).toBe(first);
    // The link is an indirect root: Nix lists it among the roots that keep the path alive.
    const roots = await execa(nixStore, ['--gc', '--print-roots'], { reject: false });
    expect(roots.stdout).toContain(`${path.join(vmDir, KEYS_SHARE_LINK)} -> ${first}`);
    expect(await fs.readdir(vmDir)).toEqual([KEYS_SHARE_LINK]);
  });

  it('takes one ed25519 public key line only: never a private key or a second line', async () => {
    const pair = generateEd25519KeyPair('x');
    await expect(addKeysShareToStore({ vmDir, user: 'builder', clientPublicKey: pair.private, nixStore })).rejects.toThrow(/one ssh-ed25519 public key line/);
    await expect(addKeysShareToStore({ vmDir, user: 'builder', clientPublicKey: `${pair.public}\n${pair.public}`, nixStore })).rejects.toThrow(/one ssh-ed25519/);
  });

  it('says in words when nix-store fails, and removes its work dir', async () => {
    const failing = path.join(root, 'nix-store');
    await fs.writeFile(failing, '#!/bin/sh\necho "error: cannot open connection to remote store \'daemon\'" >&2\nexit 1\n', { mode: 0o755 });
    await expect(addKeysShareToStore({ vmDir, user: 'builder', clientPublicKey, nixStore: failing })).rejects.toMatchObject({
      message: expect.stringContaining('nix-store --add): error: cannot open connection') as unknown,
      hint: expect.stringContaining('create-builder') as unknown,
    });
    expect((await fs.readdir(vmDir)).filter((name) => name.startsWith('.keys-'))).toEqual([]);
  });

  it('tells apart a Nix whose store this machine does not see at the store path, and then uses the next one, saying so', async () => {
    // Real Nix with a store of its own (a chroot store under the test dir), as the tests' current
    // Nix in its own root: it answers /nix/store/…-keys, which is not on this machine.
    const otherRoot = path.join(root, 'other-nix-root');
    const elsewhere = path.join(root, 'nix-store-elsewhere');
    await fs.writeFile(elsewhere, `#!/bin/sh\nexec '${nixStore}' --store '${otherRoot}' "$@"\n`, { mode: 0o755 });
    const freshKey = generateEd25519KeyPair('only in the other store').public;
    const otherVmDir = path.join(root, 'other-vm');
    await fs.mkdir(otherVmDir, { mode: 0o700 });
    const input = { vmDir: otherVmDir, user: 'builder', clientPublicKey: freshKey };
    await expect(addKeysShareToStore({ ...input, nixStore: elsewhere })).rejects.toBeInstanceOf(KeysShareNotVisible);
    const reports: string[] = [];
    const keys = await addKeysShareWithVisibleStore([elsewhere, nixStore], input, (message) => reports.push(message));
    expect(await fs.readFile(path.join(keys, 'builder_ed25519.pub'), 'utf8')).toBe(`${freshKey}\n`);
    expect(reports).toEqual([`${elsewhere} added the keys share to ${keys}, which this machine does not see at that path (that Nix keeps its store elsewhere), so QEMU cannot share it. Handed it in with ${nixStore} instead.`]);
    await expect(addKeysShareWithVisibleStore([elsewhere], { ...input, clientPublicKey: generateEd25519KeyPair('x').public }, () => undefined)).rejects.toThrow(/does not see at that path/);
  });

  it('names the key file after the guest user, refusing names that are not plain user names', () => {
    expect(authorizedKeyFileName('builder')).toBe('builder_ed25519.pub');
    expect(() => authorizedKeyFileName('../root')).toThrow(/Unsafe/);
    expect(() => authorizedKeyFileName('-o')).toThrow(/Unsafe/);
  });
});
