/**
 * Which Nix Builder Bar runs, against fake Nix installations (shell scripts that answer
 * `nix --version`) in temp directories, with PATH and HOME as a Mac app started from Finder has
 * them: PATH without Nix, Nix only in a profile directory. One test asks the real Debian Nix.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuilderBarError } from '../errors.js';
import { NixLocator, nixProfileDirs, nixSearchDirs, NIX_BIN_DIR_ENV, describeInstallation } from './nixInstallation.js';
import { writeFakeNix } from './testing/fakeNix.js';

let root: string;
/** A PATH entry that holds nothing, as `/usr/bin:/bin` holds no Nix on a Mac. */
let emptyBin: string;

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-nixinst-'));
  emptyBin = path.join(root, 'empty-bin');
  await fs.mkdir(emptyBin);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A home directory of its own and the profile directories a Nix install makes there. */
function world(name: string, env: NodeJS.ProcessEnv = {}): { home: string; env: NodeJS.ProcessEnv; profiles: string[] } {
  const home = path.join(root, name, 'home');
  const full: NodeJS.ProcessEnv = { HOME: home, USER: 'nobody-here', PATH: emptyBin, ...env };
  // The system-wide profile directories are left out: this machine's are not the test's.
  return { home, env: full, profiles: nixProfileDirs(full).filter((dir) => dir.startsWith(home)) };
}

describe('finding Nix', () => {
  it('finds Nix in the user profile when PATH has none, as for an app started from Finder', async () => {
    const { home, env, profiles } = world('finder');
    const fake = await writeFakeNix(path.join(home, '.nix-profile', 'bin'));
    const resolution = await new NixLocator({ env, profileDirs: profiles }).resolve();
    expect(resolution).toEqual({
      found: true,
      installation: {
        binDir: fake.binDir,
        chosenBy: 'profile',
        version: '2.34.8',
        determinate: false,
        missing: [],
        shadowed: [],
        programs: {
          nix: path.join(fake.binDir, 'nix'),
          'nix-build': path.join(fake.binDir, 'nix-build'),
          'nix-store': path.join(fake.binDir, 'nix-store'),
          'nix-daemon': path.join(fake.binDir, 'nix-daemon'),
        },
      },
    });
    if (resolution.found) expect(describeInstallation(resolution.installation)).toBe(`Nix 2.34.8 in ${fake.binDir} (found in Nix's profile directories)`);
  });

  it('looks on PATH before the profile directories, and skips PATH entries without nix', async () => {
    const { home, env, profiles } = world('path-first');
    await writeFakeNix(path.join(home, '.nix-profile', 'bin'), { version: '2.34.8' });
    const onPath = await writeFakeNix(path.join(root, 'path-first', 'usr-bin'), { version: '2.30.1' });
    const resolution = await new NixLocator({ env: { ...env, PATH: [emptyBin, onPath.binDir].join(':') }, profileDirs: profiles }).resolve();
    expect(resolution).toMatchObject({ found: true, installation: { binDir: onPath.binDir, chosenBy: 'path', version: '2.30.1' } });
    // The profile's Nix is not run, but named: a terminal or a daemon may be running that one.
    expect(resolution.found && resolution.installation.shadowed).toEqual([{ binDir: path.join(home, '.nix-profile', 'bin'), chosenBy: 'profile' }]);
  });

  it('BUILDER_BAR_NIX_BIN_DIR overrides PATH, and the nixBinDir setting overrides both', async () => {
    const { env, profiles } = world('override');
    const onPath = await writeFakeNix(path.join(root, 'override', 'path-bin'), { version: '2.8.0' });
    const fromEnv = await writeFakeNix(path.join(root, 'override', 'env-bin'), { version: '2.26.3' });
    const fromSetting = await writeFakeNix(path.join(root, 'override', 'setting-bin'), { version: '2.34.8' });
    const base = { ...env, PATH: onPath.binDir };
    let setting: string | null = null;
    const locator = new NixLocator({ env: { ...base, [NIX_BIN_DIR_ENV]: fromEnv.binDir }, profileDirs: profiles, setting: () => setting });
    expect(await locator.resolve()).toMatchObject({ found: true, installation: { binDir: fromEnv.binDir, chosenBy: 'environment', version: '2.26.3' } });
    setting = fromSetting.binDir;
    expect(await locator.resolve()).toMatchObject({ found: true, installation: { binDir: fromSetting.binDir, chosenBy: 'setting', version: '2.34.8' } });
    setting = null;
    expect(await new NixLocator({ env: base, profileDirs: profiles }).resolve()).toMatchObject({ found: true, installation: { binDir: onPath.binDir, chosenBy: 'path' } });
  });

  it('a nixBinDir that holds no Nix is reported as such, never replaced by the Nix on PATH', async () => {
    const { env, profiles } = world('named-empty');
    const onPath = await writeFakeNix(path.join(root, 'named-empty', 'path-bin'));
    const empty = path.join(root, 'named-empty', 'no-nix-here');
    await fs.mkdir(empty);
    const resolution = await new NixLocator({ env: { ...env, PATH: onPath.binDir }, profileDirs: profiles, setting: () => empty }).resolve();
    expect(resolution).toEqual({
      found: false,
      reason: `The nixBinDir setting names ${empty}, which holds no "nix" program.`,
      hint: expect.stringContaining('builder-bar settings set nixBinDir='),
    });
    const error = await new NixLocator({ env, profileDirs: profiles, setting: () => empty }).require().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BuilderBarError);
    expect(error).toMatchObject({ code: 'nix-missing', message: expect.stringContaining('holds no "nix" program') });
  });

  it('says what is wrong with a named directory: missing, a file, not Nix, no nix-build', async () => {
    const { env, profiles } = world('broken');
    const inspect = (dir: string) => new NixLocator({ env, profileDirs: profiles }).inspect(dir);
    expect(await inspect(path.join(root, 'broken', 'nope'))).toEqual({ ok: false, why: 'does not exist' });
    const file = path.join(root, 'broken', 'a-file');
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, '');
    expect(await inspect(file)).toEqual({ ok: false, why: 'is not a directory' });
    const impostor = await writeFakeNix(path.join(root, 'broken', 'impostor'), { versionLine: 'this is not nix' });
    expect(await inspect(impostor.binDir)).toEqual({ ok: false, why: 'holds a "nix" that answered "nix --version" with exit code 0: "this is not nix", not a Nix version' });
    const half = await writeFakeNix(path.join(root, 'broken', 'half'), { programs: ['nix', 'nix-daemon'] });
    expect(await inspect(half.binDir)).toEqual({ ok: false, why: 'holds Nix 2.34.8 but no nix-build or nix-store' });
    const noDaemon = await writeFakeNix(path.join(root, 'broken', 'no-daemon'), { programs: ['nix', 'nix-build', 'nix-store'] });
    expect(await inspect(noDaemon.binDir)).toMatchObject({ ok: true, installation: { missing: ['nix-daemon'] } });
  });

  it('says where it looked when there is no Nix at all', async () => {
    const { env, profiles } = world('none');
    const resolution = await new NixLocator({ env, profileDirs: profiles }).resolve();
    expect(resolution).toEqual({
      found: false,
      reason: `Nix was not found on PATH or in Nix's profile directories (${profiles.join(', ')}).`,
      hint: expect.stringContaining('https://nixos.org/download'),
    });
  });

  it('asks `nix --version` once per installation, again when the choice or the binary changes', async () => {
    const { env, profiles } = world('cache');
    const first = await writeFakeNix(path.join(root, 'cache', 'first'), { version: '2.30.0' });
    const second = await writeFakeNix(path.join(root, 'cache', 'second'), { version: '2.31.0' });
    let setting = first.binDir;
    const locator = new NixLocator({ env, profileDirs: profiles, setting: () => setting });
    for (let i = 0; i < 3; i += 1) await locator.resolve();
    // Another locator (the CLI's, a test's) shares what was asked.
    await new NixLocator({ env, profileDirs: profiles, setting: () => first.binDir }).resolve();
    expect(await first.versionCalls()).toBe(1);
    setting = second.binDir;
    expect(await locator.resolve()).toMatchObject({ found: true, installation: { version: '2.31.0' } });
    expect(await second.versionCalls()).toBe(1);
    // An upgrade in place: the same path now answers another version.
    await writeFakeNix(first.binDir, { version: '2.34.8' });
    setting = first.binDir;
    expect(await locator.resolve()).toMatchObject({ found: true, installation: { version: '2.34.8' } });
    expect(await first.versionCalls()).toBe(2);
  });

  it('reads the real Debian Nix at /usr/bin', async () => {
    if (!existsSync('/usr/bin/nix')) return;
    const resolution = await new NixLocator({ env: { PATH: '/usr/bin', HOME: root }, profileDirs: [] }).resolve();
    expect(resolution).toMatchObject({ found: true, installation: { binDir: '/usr/bin', chosenBy: 'path', version: expect.stringMatching(/^2\.\d+/) } });
    if (resolution.found) expect(resolution.installation.programs['nix-build']).toBe('/usr/bin/nix-build');
  });
});

describe('where Nix is looked for', () => {
  it('profile directories in the order a Nix shell puts them on PATH', () => {
    expect(nixProfileDirs({ HOME: '/Users/me', USER: 'me' })).toEqual([
      '/Users/me/.nix-profile/bin',
      '/Users/me/.local/state/nix/profile/bin',
      '/etc/profiles/per-user/me/bin',
      '/nix/var/nix/profiles/per-user/me/profile/bin',
      '/run/current-system/sw/bin',
      '/nix/var/nix/profiles/default/bin',
    ]);
  });

  it('PATH first, each directory once, never a relative PATH entry', () => {
    expect(nixSearchDirs('/usr/bin::bin:/usr/bin/:/run/current-system/sw/bin', ['/run/current-system/sw/bin', '/nix/var/nix/profiles/default/bin'])).toEqual([
      { dir: '/usr/bin', chosenBy: 'path' },
      { dir: '/run/current-system/sw/bin', chosenBy: 'path' },
      { dir: '/nix/var/nix/profiles/default/bin', chosenBy: 'profile' },
    ]);
  });
});
