import { mkdtempSync, rmSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BuilderBarError } from '../errors.js';
import { statePaths, type StatePaths } from '../paths.js';
import type { DetectOptions, NixDetection } from './detectNix.js';
import { writeWiringRecord } from './wiringRecord.js';
import { NixLocator } from './nixInstallation.js';
import { fakeInstallation, fixedNix, writeFakeNix } from './testing/fakeNix.js';
import { chooseWiringTarget, openWiringSession, planSession, verifySession, type Detect } from './wiringSession.js';

let root: string;
let paths: StatePaths;

function detection(overrides: Partial<NixDetection> = {}): NixDetection {
  return {
    found: true, binary: '/usr/bin/nix', version: '2.18.1', mode: 'single-user', user: 'me', trustedUsers: ['root'],
    trusted: true, determinate: false, builders: '', machines: [], otherBuilders: 0, problems: [], ...overrides,
  };
}

function recordingDetect(answer: NixDetection = detection()): Detect & { calls: DetectOptions[] } {
  const calls: DetectOptions[] = [];
  return Object.assign(async (options: DetectOptions) => {
    calls.push(options);
    return answer;
  }, { calls });
}

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-wiring-session-'));
  paths = statePaths({ stateDir: path.join(root, 'state') });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('chooseWiringTarget', () => {
  it('takes a conf dir as an absolute path', async () => {
    const target = await chooseWiringTarget({ confDir: 'rel/dir', stateDir: paths.stateDir, platform: 'linux', preferRecorded: false });
    expect(target).toEqual({ kind: 'confDir', dir: path.resolve('rel/dir') });
  });

  it('for verify, without a conf dir, uses the target recorded at apply', async () => {
    await fs.mkdir(paths.stateDir, { recursive: true });
    await writeWiringRecord(paths.stateDir, { version: 1, target: { kind: 'confDir', dir: '/applied/here' }, appliedAt: 1, files: [] });
    expect(await chooseWiringTarget({ confDir: undefined, stateDir: paths.stateDir, platform: 'linux', preferRecorded: true })).toEqual({ kind: 'confDir', dir: '/applied/here' });
    // Plan and apply never follow the record: without a conf dir they mean the system target.
    await expect(chooseWiringTarget({ confDir: undefined, stateDir: paths.stateDir, platform: 'linux', preferRecorded: false })).rejects.toThrow(/macOS admin step/);
  });

  it('refuses the system target off macOS with not-supported and a way out', async () => {
    const error = await chooseWiringTarget({ confDir: undefined, stateDir: paths.stateDir, platform: 'linux', preferRecorded: true }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BuilderBarError);
    expect((error as BuilderBarError).code).toBe('not-supported');
    expect((error as BuilderBarError).hint).toContain('--conf-dir');
  });

  it('on macOS picks nix.custom.conf when detection finds Determinate Nix', async () => {
    const detect = recordingDetect(detection({ determinate: true }));
    expect(await chooseWiringTarget({ confDir: undefined, stateDir: paths.stateDir, platform: 'darwin', preferRecorded: false, detect })).toEqual({ kind: 'system', determinate: true });
  });
});

describe('openWiringSession and planSession', () => {
  it('detects Nix through the conf dir and plans all five files there, from the state dir alone', async () => {
    const confDir = path.join(root, 'conf');
    const detect = recordingDetect();
    const nix = { found: true as const, installation: fakeInstallation('/opt/nix/bin', '2.34.8') };
    const session = await openWiringSession(paths, { kind: 'confDir', dir: confDir }, 'linux', detect, fixedNix(nix));
    // Detection looks at the Nix the caller chose, which verify then builds with.
    expect(detect.calls).toEqual([{ env: { NIX_CONF_DIR: confDir, NIX_SSHOPTS: `-F ${path.join(confDir, 'ssh_config')}` }, ownAlias: 'builder-bar-linux', ownBuilderPort: null, nix }]);
    expect(session.nix).toEqual(nix);
    expect(session.inputs.profile).toBe('linux-test');
    const plan = await planSession(session, paths.stateDir);
    expect(plan.problems).toEqual([]);
    expect(plan.files.map((file) => [path.relative(confDir, file.path), file.change])).toEqual([
      ['nix.conf', 'create'], ['machines', 'create'], ['ssh_config', 'create'], ['known_hosts', 'create'], ['builder-bar_ed25519', 'create'],
    ]);
    // The key it plans is the install's own client key, made in the state dir's keys.
    const key = plan.files.find((file) => file.secret);
    expect(key?.after).toBe(await fs.readFile(path.join(paths.keysDir, 'client_ed25519'), 'utf8'));
  });

  it('plans against the recorded wiring: another target applied is a problem', async () => {
    await fs.mkdir(paths.stateDir, { recursive: true });
    await writeWiringRecord(paths.stateDir, { version: 1, target: { kind: 'confDir', dir: '/elsewhere' }, appliedAt: 1, files: [] });
    const session = await openWiringSession(paths, { kind: 'confDir', dir: path.join(root, 'conf') }, 'linux', recordingDetect());
    const plan = await planSession(session, paths.stateDir);
    expect(plan.problems.map((problem) => problem.message)).toEqual([expect.stringContaining('/elsewhere; remove it there first')]);
  });
});

describe('verifySession', () => {
  it('builds with the nix-build of the Nix the session chose, by its absolute path', async () => {
    const confDir = path.join(root, 'conf');
    // A nix-build that "builds" on the guest: it writes what the guest would and prints the path.
    const out = path.join(root, 'fake-out');
    const fake = await writeFakeNix(path.join(root, 'nix-2.34', 'bin'), {
      behaviour: { 'nix-build': `printf 'Linux version 6.1.0-guest\\nbuilder-bar\\n' > '${out}'; echo '${out}'` },
    });
    const emptyPath = path.join(root, 'empty');
    await fs.mkdir(emptyPath);
    const nix = new NixLocator({ env: { PATH: emptyPath, HOME: root }, profileDirs: [], setting: () => fake.binDir });
    const session = await openWiringSession(paths, { kind: 'confDir', dir: confDir }, 'linux', recordingDetect(), nix);
    const result = await verifySession(session, paths.stateDir);
    expect(result).toMatchObject({ ok: true, guestHostname: 'builder-bar' });
    const calls = await fake.calls();
    expect(calls).toHaveLength(1);
    expect(calls[0]?.[0]).toBe(path.join(fake.binDir, 'nix-build'));
    expect(calls[0]?.slice(2, 4)).toEqual(['--max-jobs', '0']);
  });

  it('says there is no Nix, and why, instead of running a bare nix-build from PATH', async () => {
    const empty = path.join(root, 'no-nix');
    await fs.mkdir(empty, { recursive: true });
    const nix = new NixLocator({ env: { PATH: '/usr/bin', HOME: root }, profileDirs: [], setting: () => empty });
    const session = await openWiringSession(paths, { kind: 'confDir', dir: path.join(root, 'conf') }, 'linux', recordingDetect(), nix);
    const error = await verifySession(session, paths.stateDir).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BuilderBarError);
    expect(error).toMatchObject({ code: 'nix-missing', message: `The nixBinDir setting names ${empty}, which holds no "nix" program.` });
  });
});
