import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import type { BuildView, CoreEvent } from '../../ipc/contract.js';
import { appliedBuildEnvironment } from '../nix/appliedEnvironment.js';
import { runNixCommand } from '../../doors/cli/nixCommand.js';
import type { Core } from '../core.js';
import { createCore } from '../createCore.js';
import { hostPathOf, nixVersions, type TestNix } from '../nix/testing/nixVersions.js';
import { freeLoopbackPort } from '../vm/testing/freeLoopbackPort.js';

// The whole path a user takes: a core with a stopped builder, the Nix wiring applied to a conf
// dir, then a build submitted through the core. The build must wait for the builder (no
// "Failed to find a machine" race), run there, and end in the queue as done on its machine.
// On every Nix version tests know (the version in each title), chosen the way a user does, by
// the nixBinDir setting; one core and one guest for the file (the QEMU-kill test makes the core
// restart it).
let core: Core;
let root: string;
let stateDir: string;
let confDir: string;
const events: CoreEvent[] = [];
const savedNixConfig = process.env.NIX_CONFIG;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.homedir(), '.bb-build-it-'));
  // The state dir is the core's alone (it refuses a directory holding other files).
  stateDir = path.join(root, 'state');
  confDir = path.join(root, 'nixconf');
  // This host is x86_64-linux too: forbid local builds, as a Mac's system mismatch would.
  process.env.NIX_CONFIG = 'max-jobs = 0';
  core = await createCore({ stateDir, platform: 'linux' });
  core.subscribe((event) => events.push(event));
  await core.handle('settings.set', { patch: { hostPort: await freeLoopbackPort() } }, 'cli');
});

afterAll(async () => {
  await core?.close({ stopBuilder: true });
  if (savedNixConfig === undefined) delete process.env.NIX_CONFIG;
  else process.env.NIX_CONFIG = savedNixConfig;
  await rm(root, { recursive: true, force: true });
});

/** A derivation for x86_64-linux whose /bin/sh builder runs `script` (builders have no PATH). */
async function writeShellDerivation(file: string, name: string, script: string): Promise<void> {
  const nixString = JSON.stringify(script).replace(/\$\{/g, '\\${');
  await writeFile(
    file,
    `builtins.derivation { name = "${name}"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" ${nixString} ]; nonce = "${Date.now()}"; }\n`,
  );
}

/** A derivation new to every store (its nonce), whose builder prints where it ran. */
async function writeProbe(file: string, nonce: string): Promise<void> {
  await writeFile(
    file,
    `builtins.derivation {
       name = "bb-queue-probe";
       system = "x86_64-linux";
       builder = "/bin/sh";
       args = [ "-c" "read v < /proc/version; read h < /proc/sys/kernel/hostname; echo \\"$h $v\\" > $out; echo built-in-guest" ];
       nonce = "${nonce}";
     }\n`,
  );
}

function waitFor<T>(pick: (event: CoreEvent) => T | undefined, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`not seen within ${ms / 1000} s`)), ms);
    const unsubscribe = core.subscribe((event) => {
      const value = pick(event);
      if (value !== undefined) {
        clearTimeout(deadline);
        unsubscribe();
        resolve(value);
      }
    });
  });
}

const buildEvent = (id: string, states: BuildView['state'][]) => (event: CoreEvent) =>
  event.name === 'build' && event.payload.id === id && states.includes(event.payload.state) ? event.payload : undefined;

/** The output is in this version's store and in no other version's: this version built it. */
function expectBuiltBy(nix: TestNix, output: string): void {
  expect(existsSync(hostPathOf(nix, output))).toBe(true);
  for (const other of nixVersions().filter((candidate) => candidate.root !== nix.root)) expect(existsSync(hostPathOf(other, output))).toBe(false);
}

describe.each(nixVersions())('a build submitted through Builder Bar, $label', (nix) => {
  beforeAll(async () => {
    await core.handle('settings.set', { patch: { nixBinDir: nix.binDir } }, 'cli');
    const info = await core.handle('app.info', {}, 'cli');
    expect(info.nix).toMatchObject({ found: true, binDir: nix.binDir, version: nix.version, chosenBy: 'setting' });
  });

  it('waits for a stopped builder to become ready, runs on it, and ends done on its machine', async () => {
    const nixFile = path.join(root, `job-${nix.version}.nix`);
    await writeProbe(nixFile, `${Date.now()}-${process.pid}-${nix.version}`);
    const out: string[] = [];
    const io = { out: (line: string) => out.push(line), err: (line: string) => out.push(line), env: process.env, signal: new AbortController().signal };
    // The wiring reads the keys and port from the state dir; the keys exist once the core made them.
    // Waited for: a stop while the first start still builds the guest image cancels that build,
    // and a start that follows at once can join the cancelled one (vm/guest-image's in-flight map).
    await core.handle('vm.start', { wait: true, timeoutSeconds: 300 }, 'cli').catch(() => undefined);
    expect(await runNixCommand(['apply', '--conf-dir', confDir, '--state-dir', stateDir], io)).toBe(0);
    await core.handle('vm.stop', { force: true }, 'cli');

    const started = await core.handle('builds.start', { target: { kind: 'file', file: nixFile } }, 'cli');
    expect(started.state).toBe('waiting-for-builder');
    const finished = await new Promise<BuildView>((resolve) => {
      const check = () => {
        const last = events.filter((e): e is Extract<CoreEvent, { name: 'build' }> => e.name === 'build' && e.payload.id === started.id).at(-1);
        if (last && ['succeeded', 'failed', 'cancelled'].includes(last.payload.state)) resolve(last.payload);
        else setTimeout(check, 200);
      };
      check();
    });
    expect(finished.error).toBeNull();
    expect(finished.state).toBe('succeeded');
    // "1 of 1 built" (Nix 2.34 itself counts 1 of 2).
    expect(finished.progress).toEqual({ done: 1, expected: 1, running: 0, failed: 0 });
    expect(finished.derivations).toEqual([expect.objectContaining({ name: 'bb-queue-probe', state: 'done', machine: expect.stringMatching(/^ssh/) })]);
    expectBuiltBy(nix, finished.outputPaths[0]!);
    const output = await readFile(hostPathOf(nix, finished.outputPaths[0]!), 'utf8');
    expect(output.startsWith('builder-bar Linux version')).toBe(true);
    expect(output).not.toContain(os.hostname());
    const statusDuring = events.filter((e) => e.name === 'status').map((e) => (e.payload as { state: string }).state);
    expect(statusDuring).toContain('ready');

    const log = await core.handle('builds.log', { id: started.id, drvPath: finished.derivations[0]!.drvPath }, 'cli');
    expect(log.lines).toContain('built-in-guest');
    const listed = await core.handle('builds.list', {}, 'cli');
    expect(listed.builds[0]).toMatchObject({ id: started.id, state: 'succeeded' });
  });

  it('a cancelled build on the builder ends cancelled, its derivation too', async () => {
    const file = path.join(stateDir, `cancelled-${nix.version}.nix`);
    await writeShellDerivation(file, 'cancelled-build', 'echo slow-started; i=0; while [ $i -lt 50000000 ]; do i=$((i+1)); done; echo $i > $out');
    const started = await core.handle('builds.start', { target: { kind: 'file', file } }, 'cli');
    await waitFor(
      (event) => (event.name === 'build' && event.payload.id === started.id && event.payload.derivations.some((d) => d.state === 'building' && d.machine.startsWith('ssh')) ? true : undefined),
      120_000,
    );
    const log = async () => (await core.handle('builds.log', { id: started.id, drvPath: (await core.handle('builds.list', {}, 'cli')).builds.find((b) => b.id === started.id)!.derivations[0]!.drvPath }, 'cli')).lines;
    while (!(await log()).includes('slow-started')) await new Promise((resolve) => setTimeout(resolve, 200));
    const ended = waitFor(buildEvent(started.id, ['failed', 'succeeded', 'cancelled']), 60_000);
    await core.handle('builds.cancel', { id: started.id }, 'cli');
    const view = await ended;
    expect(view.state).toBe('cancelled');
    expect(view.derivations).toEqual([expect.objectContaining({ name: 'cancelled-build', state: 'cancelled' })]);
    // The cancel reaches the builder: the guest's nix-daemon ends the build once the client's
    // connection is gone (seconds under TCG, while the process list still shows it as no longer
    // ours). Until then the builder is busy, and the next test would see it there.
    await new Promise((resolve) => setTimeout(resolve, 4_000)); // the watcher looks every 3 s
    const deadline = Date.now() + 120_000;
    const onBuilder = async () => (await core.handle('builds.list', {}, 'cli')).external.map((build) => build.name);
    while ((await onBuilder()).includes('cancelled-build')) {
      if (Date.now() > deadline) throw new Error('the cancelled build still runs on the builder after 120 s');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  });

  it('shows a build someone else started on the builder as external, not as one of ours', async () => {
    const slowFile = path.join(stateDir, `slow-${nix.version}.nix`);
    await writeShellDerivation(slowFile, 'someone-elses-build', 'i=0; while [ $i -lt 50000000 ]; do i=$((i+1)); done; echo $i > $out');
    // A plain nix-build in a terminal, using the same wiring: Builder Bar did not start it.
    const env = await appliedBuildEnvironment(stateDir);
    const other = execa(path.join(nix.binDir, 'nix-build'), [slowFile, '--no-out-link'], { env: { ...env, NIX_CONFIG: 'max-jobs = 0' }, reject: false });
    try {
      const seen = await new Promise<string[]>((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error('the external build was never seen')), 120_000);
        const unsubscribe = core.subscribe((event) => {
          // Only this build: whatever else runs there (a build another test ended) is not the question.
          if (event.name === 'externalBuilds' && event.payload.builds.some((build) => build.name === 'someone-elses-build')) {
            clearTimeout(deadline);
            unsubscribe();
            resolve(event.payload.builds.map((build) => build.name));
          }
        });
      });
      expect(seen).toContain('someone-elses-build');
      expect((await core.handle('builds.list', {}, 'cli')).external.map((build) => build.name)).toContain('someone-elses-build');
      // Builder Bar's own builds are never listed as someone else's.
      const ours = new Set((await core.handle('builds.list', {}, 'cli')).builds.filter((build) => build.state === 'running').flatMap((build) => build.derivations.map((d) => d.name)));
      expect(seen.filter((name) => ours.has(name))).toEqual([]);
    } finally {
      other.kill('SIGINT');
      await other;
    }
  });

  it('marks a build failed when QEMU is killed under it, and the same build succeeds after the automatic restart', async () => {
    const file = path.join(stateDir, `interrupted-${nix.version}.nix`);
    await writeShellDerivation(file, 'interrupted-build', 'i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done; echo done-after-$i > $out');

    const first = await core.handle('builds.start', { target: { kind: 'file', file } }, 'cli');
    await waitFor((event) => (event.name === 'build' && event.payload.id === first.id && event.payload.derivations.some((d) => d.state === 'building') ? true : undefined), 120_000);
    const pid = (await core.handle('status.get', {}, 'cli')).pid!;
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const failed = await waitFor(buildEvent(first.id, ['failed', 'succeeded', 'cancelled']), 120_000);
    expect(failed.state).toBe('failed');
    expect(failed.derivations.every((d) => d.state !== 'building' && d.state !== 'waiting')).toBe(true);
    expect(Date.now() - killedAt).toBeLessThan(120_000);

    await waitFor((event) => (event.name === 'status' && event.payload.state === 'ready' ? true : undefined), 240_000);
    const second = await core.handle('builds.start', { target: { kind: 'file', file } }, 'cli');
    const done = await waitFor(buildEvent(second.id, ['failed', 'succeeded', 'cancelled']), 300_000);
    expect(done.error).toBeNull();
    expect(done.state).toBe('succeeded');
    expect(done.progress).toEqual({ done: 1, expected: 1, running: 0, failed: 0 });
    expectBuiltBy(nix, done.outputPaths[0]!);
    expect(await readFile(hostPathOf(nix, done.outputPaths[0]!), 'utf8')).toBe('done-after-400000\n');
  });
});
