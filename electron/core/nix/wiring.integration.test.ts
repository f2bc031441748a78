/**
 * Nix wiring against the real thing: Debian's nix-bin on this host delegating builds over ssh
 * to the real linux-test guest, booted once through BuilderSupervisor, wired into a config
 * directory this test owns (NIX_CONF_DIR / NIX_SSHOPTS). QEMU is killed in afterAll.
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

async function snapshotDir(dir: string): Promise<Map<string, Snapshot>> {
  const result = new Map<string, Snapshot>();
  for (const name of await fs.readdir(dir)) {
    const file = path.join(dir, name);
    result.set(name, { bytes: await fs.readFile(file), mode: (await fs.stat(file)).mode & 0o7777 });
  }
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

describe('wiring real Nix to the real linux-test guest through a config directory', () => {
  it('detects the host nix-bin: version, single-user, root trusted', async () => {
    const detection = await detectNix();
    expect(detection.found).toBe(true);
    expect(detection.version).toMatch(/^2\.\d+/);
    expect(detection.mode).toBe('single-user');
    expect(detection.trusted).toBe(true);
    expect(detection.problems.filter((problem) => problem.blocking)).toEqual([]);
  });

  it('apply -> a delegated build that ran in the guest -> remove restores every file byte for byte, with its mode', async () => {
    const dir = await userConfDir('conf-a');
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

    const detection = await detectNix(undefined, { env: planned.layout.env, ownAlias: inputs.builder.alias });
    expect(detection.machines.map((machine) => machine.host)).toEqual([inputs.builder.alias]);

    const verified = await verifyWiring({ layout: planned.layout, system: 'x86_64-linux', workDir: root, trusted: true, expectedHostname: 'builder-bar' });
    if (!verified.ok) throw new Error(`verify failed: ${verified.failure.message}\n${verified.failure.stderrTail.join('\n')}`);
    expect(verified.guestHostname).toBe('builder-bar');
    expect(verified.hostHostname).not.toBe('builder-bar');
    expect(verified.guestKernel).toMatch(/^Linux version /);
    // No substituter is asked, so nothing waits on the internet (FACTS.md section 2).
    expect(verified.seconds).toBeLessThan(30);

    const removed = await removeWiring(root);
    expect(removed.restored).toEqual([path.join(dir, 'nix.conf')]);
    expect(await snapshotDir(dir)).toEqual(before);
    expect(await readWiringRecord(root)).toBeNull();
  });

  it('apply twice is a no-op: the second plan has no changes and apply writes nothing', async () => {
    const dir = await userConfDir('conf-b');
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

  it('refuses a file edited between plan and apply, and writes nothing at all', async () => {
    const dir = await userConfDir('conf-c');
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

  it('a pinned host key other than the guest\'s makes verify fail with "host key mismatch" in words', async () => {
    const dir = await userConfDir('conf-d');
    const target: WiringTarget = { kind: 'confDir', dir };
    const otherKey = generateEd25519KeyPair('not the guest').public;
    const planned = await plan(target, { hostPublicKey: otherKey });
    await applyWiring(planned, root);
    const knownHosts = await fs.readFile(path.join(dir, 'known_hosts'), 'utf8');
    expect(knownHosts).toContain(`builder-bar-linux ${otherKey.split(' ').slice(0, 2).join(' ')}`);

    const verified = await verifyWiring({ layout: planned.layout, system: 'x86_64-linux', workDir: root, trusted: true, expectedHostname: 'builder-bar', timeoutMs: 120_000 });
    expect(verified.ok).toBe(false);
    if (verified.ok) return;
    if (process.env.BUILDER_BAR_RECORD_FIXTURES) {
      // Re-records the fixture classifyBuildFailure.test.ts reads (the tail, paths made neutral).
      const fixture = new URL('../../../resources/nix/fixtures/nix-build-2.8-host-key-mismatch.stderr', import.meta.url);
      await fs.writeFile(fixture, `${verified.failure.stderrTail.join('\n').replaceAll(root, '/STATE')}\n`);
    }
    expect(verified.failure.cause).toBe('host-key-mismatch');
    expect(verified.failure.message).toMatch(/^Host key mismatch/);
    expect(verified.failure.stderrTail.join('\n')).toContain('Host key verification failed');
    await removeWiring(root);
  });
});
