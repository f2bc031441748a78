/**
 * A prebuilt baseline is rooted by the nix-store of the Nix the core chose (nixBinDir), by its
 * absolute path, never by a bare `nix-store` from PATH. Nix here is a fake that records its argv.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NixLocator } from '../nix/nixInstallation.js';
import { writeFakeNix } from '../nix/testing/fakeNix.js';
import { GcRoots } from './gcRoots.js';

let root: string;
let emptyPath: string;

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-gcroots-'));
  emptyPath = path.join(root, 'empty-path');
  await fs.mkdir(emptyPath);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const locator = (setting: string) => new NixLocator({ env: { PATH: emptyPath, HOME: root }, profileDirs: [], setting: () => setting });

describe('GcRoots', () => {
  it('registers the root with nixBinDir\'s nix-store, in the environment builds use', async () => {
    const fake = await writeFakeNix(path.join(root, 'nix', 'bin'));
    const roots = new GcRoots(path.join(root, 'gcroots'), async () => ({ NIX_CONF_DIR: '/conf' }), locator(fake.binDir));
    const outPath = '/nix/store/00000000000000000000000000000000-full';
    const rootPath = await roots.add('app', 'a'.repeat(40), outPath);
    expect(rootPath).toBe(path.join(root, 'gcroots', `app--${'a'.repeat(40)}`));
    expect(await fake.calls()).toEqual([[path.join(fake.binDir, 'nix-store'), '--realise', outPath, '--add-root', rootPath, '--indirect']]);
  });

  it('says why when there is no Nix to root with', async () => {
    const empty = path.join(root, 'empty-nix');
    await fs.mkdir(empty);
    const roots = new GcRoots(path.join(root, 'gcroots-2'), async () => ({}), locator(empty));
    await expect(roots.add('app', 'b'.repeat(40), '/nix/store/x')).rejects.toThrow(`nix-store --add-root cannot run: The nixBinDir setting names ${empty}, which holds no "nix" program.`);
  });
});
