// The keys share through this machine's real Nix (tests run as root with Debian's Nix, whose
// store paths are root-owned, as a multi-user install's are on a Mac).
import { execa } from 'execa';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environmentNix } from '../../nix/nixInstallation.js';
import { generateEd25519KeyPair } from '../ed25519KeyPair.js';
import { addKeysShareToStore, authorizedKeyFileName, KEYS_SHARE_LINK } from './keysShare.js';

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

  it('names the key file after the guest user, refusing names that are not plain user names', () => {
    expect(authorizedKeyFileName('builder')).toBe('builder_ed25519.pub');
    expect(() => authorizedKeyFileName('../root')).toThrow(/Unsafe/);
    expect(() => authorizedKeyFileName('-o')).toThrow(/Unsafe/);
  });
});
