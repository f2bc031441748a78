/**
 * Nix wiring against the real thing, on every Nix version tests have (nixVersions.ts: the
 * host's Debian nix-bin and the current Nix in its own root): each delegates builds over ssh to
 * the real linux-test guest, booted once for the whole file through BuilderSupervisor, wired
 * into a config directory this test owns (NIX_CONF_DIR / NIX_SSHOPTS). The user's own builders
 * (every form Nix reads, pointing at machines that do not answer) are kept: Nix skips them and
 * the build still lands in the guest. QEMU is killed in afterAll.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Settings } from '../../ipc/contract.js';
import { BuilderBarError } from '../errors.js';
import { statePaths, type StatePaths } from '../paths.js';
import { defaultSettings } from '../settings/defaults.js';
import { BuilderSupervisor } from '../vm/builderSupervisor.js';
import { linuxTestProfile } from '../vm/profiles/linuxTest.js';
import { readPidFile, vmFilesIn } from '../vm/vmFiles.js';
import { applyWiring, removeWiring } from './applyWiring.js';
import { wiringInputsFromState, type WiringInputs } from './builderFromState.js';
import { detectNix } from './detectNix.js';
import { planWiring } from './planWiring.js';
import { verifyWiring } from './verifyWiring.js';
import { readWiringRecord } from './wiringRecord.js';
import type { WiringTarget } from './wiringTarget.js';
import { generateEd25519KeyPair } from '../vm/ed25519KeyPair.js';
import { environmentNix } from './nixInstallation.js';
import { openWiringSession, planSession } from './wiringSession.js';
import { GUEST_HOSTNAME, verifyDerivation } from './verifyWiring.js';
import type { TargetLayout } from './wiringTarget.js';
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { hostPathOf, nixVersions, type TestNix } from './testing/nixVersions.js';

let root: string;
let paths: StatePaths;
let settings: Settings;
let supervisor: BuilderSupervisor;
let inputs: WiringInputs;
const qemuPids = new Set<number>();

interface Snapshot {
  bytes: Buffer | null;
  mode: number | null;
}

/** Every file and directory under `dir` (recursively), with its bytes and mode. */
async function snapshotDir(dir: string): Promise<Map<string, Snapshot>> {
  const result = new Map<string, Snapshot>();
  const walk = async (relative: string): Promise<void> => {
    for (const entry of await fs.readdir(path.join(dir, relative), { withFileTypes: true })) {
      const name = path.join(relative, entry.name);
      const file = path.join(dir, name);
      const mode = (await fs.lstat(file)).mode & 0o7777;
      if (entry.isDirectory()) {
        result.set(`${name}/`, { bytes: null, mode });
        await walk(name);
      } else {
        result.set(name, { bytes: await fs.readFile(file), mode });
      }
    }
  };
  await walk('');
  return result;
}

/** A conf dir holding a nix.conf the "user" wrote (mode 0640) and nothing else. */
async function userConfDir(name: string): Promise<string> {
  const dir = path.join(root, name);
  await fs.mkdir(dir, { recursive: true });
  const nixConf = path.join(dir, 'nix.conf');
  await fs.writeFile(nixConf, '# my own settings\nkeep-outputs = true\n\n# the end, no trailing newline');
  await fs.chmod(nixConf, 0o640);
  return dir;
}

async function plan(target: WiringTarget, overrides: Partial<WiringInputs['builder']> = {}) {
  return planWiring({ target, builder: { ...inputs.builder, ...overrides }, clientPrivateKey: inputs.clientPrivateKey, record: await readWiringRecord(root) });
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-nixwiring-'));
  paths = statePaths({ stateDir: root });
  settings = { ...defaultSettings('linux'), cpus: 1, memoryMiB: 1024, diskGiB: 2, hostPort: 41_000 + Math.floor(Math.random() * 15_000), hostPortAuto: true };
  supervisor = new BuilderSupervisor({
    paths,
    getSettings: () => settings,
    logs: { append: () => undefined },
    resolveProfile: () => linuxTestProfile,
    chooseAccelerator: async () => ({ name: 'tcg', reason: 'integration test: kvm does not work on this machine' }),
  });
  supervisor.onStatus((status) => {
    if (status.pid !== null) qemuPids.add(status.pid);
  });
  const status = await supervisor.start({ wait: true, timeoutMs: 280_000 });
  expect(status.state).toBe('ready');
  inputs = await wiringInputsFromState(paths, 'linux');
  // The boot record's port (auto-picked if the setting's port was taken) is the one wired.
  expect(inputs.builder.port).toBe(status.sshPort);
  expect(inputs.builder.hostPublicKey.trim()).toBe(status.hostKey?.publicKey.trim());
});

afterAll(async () => {
  await supervisor?.close({ stopBuilder: true }).catch(() => undefined);
  const fromFile = paths ? await readPidFile(vmFilesIn(paths.vmDir)) : null;
  if (fromFile !== null) qemuPids.add(fromFile);
  for (const pid of qemuPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (root) rmSync(root, { recursive: true, force: true });
});

// A failed test must not leave its wiring for the next one (plan refuses a second target).
afterEach(async () => {
  await removeWiring(root);
});

/** The Nix of one version, as the core resolves it (its nixBinDir). */
async function resolved(nix: TestNix) {
  return environmentNix({ ...process.env, BUILDER_BAR_NIX_BIN_DIR: nix.binDir }).resolve();
}

/** `nix verify` of a wiring with this version's nix-build, against the guest, as the core runs it. */
function verifyOn(nix: TestNix, layout: TargetLayout): ReturnType<typeof verifyWiring> {
  return verifyWiring({
    layout,
    nixBuild: path.join(nix.binDir, 'nix-build'),
    system: 'x86_64-linux',
    workDir: root,
    trusted: true,
    expectedHostname: GUEST_HOSTNAME,
    timeoutMs: 120_000,
  });
}

/**
 * A derivation only the builder may build (`--max-jobs 0`, a fresh nonce), built by `nix` with
 * the wiring's environment and no user config of this machine: its output names the machine it
 * ran on. Nix's stderr is returned too (it says which machines Nix tried).
 */
async function buildOnBuilder(nix: TestNix, layout: TargetLayout): Promise<{ exitCode: number | undefined; stderr: string; hostname: string | null }> {
  const nonce = randomBytes(8).toString('hex');
  const file = path.join(root, `users-builders-${nonce}.nix`);
  await fs.writeFile(file, verifyDerivation('x86_64-linux', nonce));
  const result = await execa(path.join(nix.binDir, 'nix-build'), [file, '--max-jobs', '0', '--no-out-link', '--option', 'substituters', ''], {
    env: { ...layout.env, NIX_USER_CONF_FILES: path.join(root, 'no-user-conf') },
    reject: false,
    stdin: 'ignore',
    timeout: 240_000,
  });
  const outPath = String(result.stdout).trim().split('\n').pop() ?? '';
  const hostname = result.exitCode === 0 ? ((await fs.readFile(hostPathOf(nix, outPath), 'utf8')).split('\n')[1] ?? null) : null;
  return { exitCode: result.exitCode, stderr: String(result.stderr), hostname };
}

/** The plan `builder-bar nix plan/apply --conf-dir DIR` makes with this Nix (the CLI's own calls). */
async function cliPlan(nix: TestNix, dir: string) {
  const session = await openWiringSession(paths, { kind: 'confDir', dir }, 'linux', undefined, environmentNix({ ...process.env, BUILDER_BAR_NIX_BIN_DIR: nix.binDir }));
  expect(session.detection.version).toBe(nix.version);
  return planSession(session, root);
}

/** Writes `files` (relative path -> [text, mode]) into a new conf dir; `DIR` in a text is that dir. */
async function confDirWith(name: string, files: Record<string, [string, number]>): Promise<string> {
  const dir = path.join(root, name);
  for (const [relative, [text, mode]] of Object.entries(files)) {
    const file = path.join(dir, relative);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, text.replaceAll('DIR', dir));
    await fs.chmod(file, mode);
  }
  return dir;
}

describe.each(nixVersions())('$label: wiring real Nix to the real linux-test guest through a config directory', (nix) => {
  const tag = nix.version.replace(/[^0-9]/g, '_');

  it(`detects the Nix in use: version, single-user, root trusted`, async () => {
    const detection = await detectNix(undefined, { nix: await resolved(nix) });
    expect(detection.found).toBe(true);
    expect(detection.version).toBe(nix.version);
    expect(detection.mode).toBe('single-user');
    expect(detection.trusted).toBe(true);
    expect(detection.problems.filter((problem) => problem.blocking)).toEqual([]);
  });

  it(`apply -> a delegated build that ran in the guest -> remove restores every file byte for byte, with its mode`, async () => {
    const dir = await userConfDir(`conf-a-${tag}`);
    const before = await snapshotDir(dir);
    const target: WiringTarget = { kind: 'confDir', dir };
    const planned = await plan(target);
    expect(planned.problems).toEqual([]);
    expect(planned.environment).toEqual([`export NIX_CONF_DIR=${dir}`, `export NIX_SSHOPTS='-F ${dir}/ssh_config'`]);
    const nixConf = planned.files.find((file) => file.role === 'nix.conf');
    expect(nixConf?.diff).toContain(`+builders = @${dir}/machines`);
    expect(nixConf?.diff).not.toContain('substituters');
    expect(planned.files.find((file) => file.role === 'client-key')?.diff).toContain('content not shown');

    const applied = await applyWiring(planned, root);
    expect(applied.written).toHaveLength(5);
    expect((await fs.stat(path.join(dir, 'builder-bar_ed25519'))).mode & 0o777).toBe(0o600);
    expect((await fs.stat(path.join(dir, 'nix.conf'))).mode & 0o777).toBe(0o640);

    const detection = await detectNix(undefined, { env: planned.layout.env, ownAlias: inputs.builder.alias, nix: await resolved(nix) });
    expect(detection.machines.map((machine) => machine.host)).toEqual([inputs.builder.alias]);

    const verified = await verifyOn(nix, planned.layout);
    if (!verified.ok) throw new Error(`verify failed: ${verified.failure.message}\n${verified.failure.stderrTail.join('\n')}`);
    expect(verified.guestHostname).toBe(GUEST_HOSTNAME);
    expect(verified.hostHostname).not.toBe(GUEST_HOSTNAME);
    expect(verified.guestKernel).toMatch(/^Linux version /);

    const removed = await removeWiring(root);
    expect(removed.restored).toEqual([path.join(dir, 'nix.conf')]);
    expect(await snapshotDir(dir)).toEqual(before);
    expect(await readWiringRecord(root)).toBeNull();
  });

  it(`the issue's nix.conf (builders = ssh://me@far-away x86_64-linux - 1 1): Nix skips the dead machine, the guest builds, remove is byte-exact`, async () => {
    const dir = await confDirWith(`conf-issue-${tag}`, { 'nix.conf': ['builders = ssh://me@far-away x86_64-linux - 1 1\n', 0o644] });
    const before = await snapshotDir(dir);
    const planned = await cliPlan(nix, dir);
    expect(planned.problems).toEqual([]);
    expect(planned.files.find((file) => file.role === 'nix.conf')?.after).toContain(`\nbuilders = ssh://me@far-away x86_64-linux - 1 1;@${dir}/machines\n`);
    await applyWiring(planned, root);

    const built = await buildOnBuilder(nix, planned.layout);
    expect(built.stderr).not.toContain("executing '/bin/sh'");
    // Nix 2.8 took " @DIR/machines" for a store URI and built "on '@DIR/machines'" locally.
    expect(built.stderr).not.toMatch(/ on '@/);
    expect(built.stderr).toMatch(/cannot build on 'ssh:\/\/me@far-away/);
    expect(built.exitCode, built.stderr).toBe(0);
    expect(built.hostname).toBe(GUEST_HOSTNAME);

    await removeWiring(root);
    expect(await snapshotDir(dir)).toEqual(before);
  });

  it(`the user's builders in every form (several lines, include, !include of a missing file, @files of several lines): kept, skipped when dead, the guest builds, remove is byte-exact`, async () => {
    const dir = await confDirWith(`conf-forms-${tag}`, {
      'nix.conf': [
        '# my own settings\nbuilders = ssh://superseded x86_64-linux\nkeep-outputs = true\ninclude more/builders.conf\n!include missing.conf\n# the end, no trailing newline',
        0o640,
      ],
      // The machine, then an @file whose lines hold more machines and a further @file.
      'more/builders.conf': ['builders = ssh://me@far-away x86_64-linux - 1 1 ; @DIR/their-machines\n', 0o600],
      'their-machines': ['ssh://dead-one x86_64-linux - 1 1\nssh://dead-two x86_64-linux - 1 1;@DIR/more/machines-too\n', 0o644],
      'more/machines-too': ['# more of mine\nssh://dead-three x86_64-linux - 1 1\n', 0o644],
    });
    await fs.chmod(path.join(dir, 'more'), 0o750);
    const before = await snapshotDir(dir);
    const planned = await cliPlan(nix, dir);
    expect(planned.problems).toEqual([]);
    expect(planned.files.find((file) => file.role === 'nix.conf')?.after).toContain(
      `\nbuilders = ssh://me@far-away x86_64-linux - 1 1;@${dir}/their-machines;@${dir}/machines\n`,
    );
    await applyWiring(planned, root);

    const built = await buildOnBuilder(nix, planned.layout);
    expect(built.stderr).not.toContain("executing '/bin/sh'");
    // Nix 2.8 took " @DIR/machines" for a store URI and built "on '@DIR/machines'" locally.
    expect(built.stderr).not.toMatch(/ on '@/);
    expect(built.stderr).not.toContain('superseded');
    // Every user machine from every form was read (and skipped: none of them answers).
    for (const host of ['me@far-away', 'dead-one', 'dead-two', 'dead-three']) expect(built.stderr).toContain(`cannot build on 'ssh://${host}`);
    expect(built.exitCode, built.stderr).toBe(0);
    expect(built.hostname).toBe(GUEST_HOSTNAME);

    await removeWiring(root);
    expect(await snapshotDir(dir)).toEqual(before);
  });

  it(`apply twice is a no-op: the second plan has no changes and apply writes nothing`, async () => {
    const dir = await userConfDir(`conf-b-${tag}`);
    const target: WiringTarget = { kind: 'confDir', dir };
    await applyWiring(await plan(target), root);
    const afterFirst = await snapshotDir(dir);
    const mtimes = await Promise.all([...afterFirst.keys()].map(async (name) => (await fs.stat(path.join(dir, name))).mtimeMs));
    const recordBefore = await fs.readFile(path.join(root, 'nix-wiring.json'), 'utf8');

    const again = await plan(target);
    expect(again.changes).toBe(false);
    expect(again.files.every((file) => file.diff === '')).toBe(true);
    const second = await applyWiring(again, root);
    expect(second.written).toEqual([]);
    expect(await snapshotDir(dir)).toEqual(afterFirst);
    expect(await Promise.all([...afterFirst.keys()].map(async (name) => (await fs.stat(path.join(dir, name))).mtimeMs))).toEqual(mtimes);
    expect(await fs.readFile(path.join(root, 'nix-wiring.json'), 'utf8')).toBe(recordBefore);
    await removeWiring(root);
  });

  it(`refuses a file edited between plan and apply, and writes nothing at all`, async () => {
    const dir = await userConfDir(`conf-c-${tag}`);
    const target: WiringTarget = { kind: 'confDir', dir };
    const planned = await plan(target);
    await fs.appendFile(path.join(dir, 'nix.conf'), '\nmax-jobs = 4\n');
    const edited = await snapshotDir(dir);
    const error = (await applyWiring(planned, root).catch((caught: unknown) => caught)) as BuilderBarError;
    expect(error).toBeInstanceOf(BuilderBarError);
    expect(error.message).toContain(`Changed since the plan read it: ${path.join(dir, 'nix.conf')}`);
    expect(await snapshotDir(dir)).toEqual(edited);
    expect(await readWiringRecord(root)).toBeNull();
  });

  it(`a pinned host key other than the guest's makes verify fail with "host key mismatch" in words`, async () => {
    const dir = await userConfDir(`conf-d-${tag}`);
    const target: WiringTarget = { kind: 'confDir', dir };
    const otherKey = generateEd25519KeyPair('not the guest').public;
    const planned = await plan(target, { hostPublicKey: otherKey });
    await applyWiring(planned, root);
    const knownHosts = await fs.readFile(path.join(dir, 'known_hosts'), 'utf8');
    expect(knownHosts).toContain(`builder-bar-linux ${otherKey.split(' ').slice(0, 2).join(' ')}`);

    const verified = await verifyOn(nix, planned.layout);
    expect(verified.ok).toBe(false);
    if (verified.ok) return;
    if (process.env.BUILDER_BAR_RECORD_FIXTURES) {
      // Re-records the fixture classifyBuildFailure.test.ts reads (the tail, paths made neutral).
      const minor = nix.version.split('.').slice(0, 2).join('.');
      const fixture = new URL(`../../../resources/nix/fixtures/nix-build-${minor}-host-key-mismatch.stderr`, import.meta.url);
      await fs.writeFile(fixture, `${verified.failure.stderrTail.join('\n').replaceAll(root, '/STATE')}\n`);
    }
    expect(verified.failure.cause).toBe('host-key-mismatch');
    expect(verified.failure.message).toMatch(/^Host key mismatch/);
    expect(verified.failure.stderrTail.join('\n')).toContain('Host key verification failed');
    await removeWiring(root);
  });
});
