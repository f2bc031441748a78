/**
 * A prebuilt baseline is rooted by the nix-store of the Nix the core chose (nixBinDir), by its
 * absolute path, never by a bare `nix-store` from PATH, with every output of its derivation (the
 * `intermediates` an incremental build reuses is not the path the build printed). Nix here is a
 * fake that records its argv; baselineService.integration.test.ts does the same with real Nix.
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
    const nixStore = path.join(fake.binDir, 'nix-store');
    // This Nix knows no deriver: only the printed path is rooted.
    expect(await fake.calls()).toEqual([
      [nixStore, '--query', '--deriver', outPath],
      [nixStore, '--realise', outPath, '--add-root', rootPath, '--indirect'],
    ]);
  });

  const drv = '/nix/store/11111111111111111111111111111111-full.drv';
  const out = '/nix/store/00000000000000000000000000000000-full';
  const intermediates = '/nix/store/22222222222222222222222222222222-full-intermediates';
  const docs = '/nix/store/33333333333333333333333333333333-full-docs';
  const derivationAware = [
    'case "$1 $2" in',
    `  "--query --deriver") echo ${drv} ;;`,
    `  "--query --outputs") printf '%s\\n' ${intermediates} ${out} ${docs} ;;`,
    // docs was not copied back: not valid.
    `  "--check-validity --print-invalid") echo ${docs} ;;`,
    'esac',
    'exit 0',
  ].join('\n');

  it('roots the other valid outputs of the derivation too (what an incremental build reuses), named as Nix names them', async () => {
    const fake = await writeFakeNix(path.join(root, 'nix-drv', 'bin'), { behaviour: { 'nix-store': derivationAware } });
    const roots = new GcRoots(path.join(root, 'gcroots-drv'), async () => ({}), locator(fake.binDir));
    const rootPath = await roots.add('app', 'c'.repeat(40), out);
    const realised = (await fake.calls()).filter((call) => call[1] === '--realise').map((call) => call.slice(2));
    expect(realised).toEqual([
      [out, '--add-root', rootPath, '--indirect'],
      [intermediates, '--add-root', `${rootPath}-intermediates`, '--indirect'],
    ]);
  });

  it('drops every root of a baseline no branch uses, outputs included, and keeps the rest', async () => {
    const dir = path.join(root, 'gcroots-prune');
    await fs.mkdir(dir);
    const [old, kept] = ['d'.repeat(40), 'e'.repeat(40)];
    const names = [`app--${old}`, `app--${old}-intermediates`, `app--${kept}`, `app--${kept}-intermediates`, `other--${old}`];
    for (const name of names) await fs.symlink(out, path.join(dir, name));
    const roots = new GcRoots(dir, async () => ({}), locator(root));
    expect(await roots.prune('app', new Set([kept]))).toEqual([old]);
    expect((await fs.readdir(dir)).sort()).toEqual([`app--${kept}`, `app--${kept}-intermediates`, `other--${old}`]);
  });

  it('says why when there is no Nix to root with', async () => {
    const empty = path.join(root, 'empty-nix');
    await fs.mkdir(empty);
    const roots = new GcRoots(path.join(root, 'gcroots-2'), async () => ({}), locator(empty));
    await expect(roots.add('app', 'b'.repeat(40), '/nix/store/x')).rejects.toThrow(`nix-store --add-root cannot run: The nixBinDir setting names ${empty}, which holds no "nix" program.`);
  });
});
