/**
 * Fault figure: 100 `kill -9` of QEMU spread over booting, ready and mid-build, against the real
 * core (createCore, QEMU under TCG booting the linux-test guest, real Nix wired through a conf
 * dir as buildThroughCore.integration.test.ts does it).
 *
 * Each kill must end in `ready` again (the supervisor's automatic restart) or in a visible
 * give-up (`error` with `restart.gaveUp`, a message and a hint), after which a start by the user
 * brings the builder back to `ready`. A build in flight when QEMU dies must end `failed` (never
 * hang as running), and the same build run again must succeed. No stuck state: the builder never
 * stays away from a stable state (ready, stopped, or a visible give-up) longer than STUCK_MS.
 *
 * The phase of each kill is random in the full run (weighted so that streaks of kills without a
 * user's start reach the give-up), one of each in the short run; the moment inside the phase is
 * random too (during a boot: uniform over the last measured boot). The seed is printed.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../core/core.js';
import { createCore } from '../core/createCore.js';
import { freeLoopbackPort } from '../core/vm/testing/freeLoopbackPort.js';
import { runNixCommand } from '../doors/cli/nixCommand.js';
import type { BuildView, CoreEvent, Status } from '../ipc/contract.js';
import { scenarioRandom, sleep, soakCount, soakMode, Tally, writeFigure } from './soakKit.js';

/** A boot under TCG on a busy 2-core machine, plus the longest backoff and restart window. */
const STUCK_MS = 6 * 60_000;
const BUILD_LOOPS = 1_000_000;

type Phase = 'booting' | 'ready' | 'mid-build';
const phases: readonly Phase[] = ['booting', 'ready', 'mid-build'];

function isStable(status: Status): boolean {
  return status.state === 'ready' || status.state === 'stopped' || (status.state === 'error' && status.restart.gaveUp);
}

describe('kill -9 of QEMU while booting, ready and building', () => {
  let core: Core;
  let stateDir: string;
  const qemuPids = new Set<number>();
  const savedNixConfig = process.env.NIX_CONFIG;
  /** The longest the builder stayed away from a stable state, and since when it is away now. */
  const stuck = { since: null as number | null, longestMs: 0, longestAt: '' };
  let lastStatus: Status | null = null;
  /** How long the last boot took from QEMU's launch to ready: the window a kill while booting is drawn from. */
  let bootMs = 15_000;
  const boot = { pid: null as number | null, at: 0 };

  /** Resolves with the first status (now or later) that `accept` takes; null after `timeoutMs`. */
  function statusWhen(accept: (status: Status) => boolean, timeoutMs: number): Promise<Status | null> {
    return new Promise((resolve) => {
      if (lastStatus && accept(lastStatus)) {
        resolve(lastStatus);
        return;
      }
      const timer = setTimeout(() => {
        unsubscribe();
        resolve(null);
      }, timeoutMs);
      const unsubscribe = core.subscribe((event) => {
        if (event.name === 'status' && accept(event.payload)) {
          clearTimeout(timer);
          unsubscribe();
          resolve(event.payload);
        }
      });
    });
  }

  function buildWhen(id: string, accept: (build: BuildView) => boolean, timeoutMs: number): Promise<BuildView | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        unsubscribe();
        resolve(null);
      }, timeoutMs);
      const unsubscribe = core.subscribe((event: CoreEvent) => {
        if (event.name === 'build' && event.payload.id === id && accept(event.payload)) {
          clearTimeout(timer);
          unsubscribe();
          resolve(event.payload);
        }
      });
    });
  }

  beforeAll(async () => {
    // As buildThroughCore.integration.test.ts: under the home directory, not /tmp.
    stateDir = await fs.mkdtemp(path.join(os.homedir(), '.bb-soak-qemu-'));
    // This host is x86_64-linux too: forbid local builds, so every build needs the guest.
    process.env.NIX_CONFIG = 'max-jobs = 0';
    core = await createCore({ stateDir, platform: 'linux' });
    core.subscribe((event) => {
      if (event.name !== 'status') return;
      const status = event.payload;
      lastStatus = status;
      if (status.pid !== null) qemuPids.add(status.pid);
      const now = Date.now();
      if (status.state === 'starting' && status.pid !== null && status.pid !== boot.pid) Object.assign(boot, { pid: status.pid, at: now });
      if (status.state === 'ready' && status.pid === boot.pid && boot.at > 0) {
        bootMs = now - boot.at;
        boot.at = 0;
      }
      if (isStable(status)) {
        if (stuck.since !== null && now - stuck.since > stuck.longestMs) {
          stuck.longestMs = now - stuck.since;
          stuck.longestAt = new Date(stuck.since).toISOString();
        }
        stuck.since = null;
      } else stuck.since ??= now;
    });
    await core.handle('settings.set', { patch: { hostPort: await freeLoopbackPort(), cpus: 1, memoryMiB: 1024 } }, 'cli');
    const first = await core.handle('vm.start', { wait: true, timeoutSeconds: 900 }, 'cli');
    expect(first.state).toBe('ready');
    const out: string[] = [];
    const io = { out: (line: string) => out.push(line), err: (line: string) => out.push(line), env: process.env, signal: new AbortController().signal };
    const applied = await runNixCommand(['apply', '--conf-dir', path.join(stateDir, 'nixconf'), '--state-dir', stateDir], io);
    if (applied !== 0) throw new Error(`nix apply failed: ${out.join('\n')}`);
  });

  afterAll(async () => {
    await core?.close({ stopBuilder: true }).catch(() => undefined);
    for (const pid of qemuPids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (savedNixConfig === undefined) delete process.env.NIX_CONFIG;
    else process.env.NIX_CONFIG = savedNixConfig;
    if (stateDir) await fs.rm(stateDir, { recursive: true, force: true });
  });

  /** Brings the builder to ready, starting it as a user would when it gave up; the reason when it cannot. */
  async function ensureReady(): Promise<string | null> {
    const stable = await statusWhen(isStable, STUCK_MS);
    if (!stable) return `no stable state within ${STUCK_MS / 1000} s (last: ${statusText(lastStatus)})`;
    if (stable.state === 'ready') return null;
    const started = await core.handle('vm.start', { wait: true, timeoutSeconds: STUCK_MS / 1000 }, 'cli').catch((error: unknown) => error as Error);
    if (started instanceof Error) return `a start by the user failed: ${started.message}`;
    return started.state === 'ready' ? null : `a start by the user ended ${started.state}`;
  }

  function kill(pid: number): void {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already: the status will say so
    }
  }

  async function writeJob(nonce: string): Promise<string> {
    const file = path.join(stateDir, `job-${nonce}.nix`);
    const script = `i=0; while [ $i -lt ${BUILD_LOOPS} ]; do i=$((i+1)); done; echo soak-${nonce}-$i > $out`;
    await fs.writeFile(file, `builtins.derivation { name = "soak-job"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" ${JSON.stringify(script)} ]; nonce = "${nonce}"; }\n`);
    return file;
  }

  it('every kill ends in ready or a visible give-up, builds fail then succeed again, nothing stays stuck', async () => {
    const kills = soakCount(100, 3);
    const random = scenarioRandom('qemu kill');
    const tally = new Tally();
    const seen = { phases: new Map<Phase, number>(), atState: new Map<string, number>(), backByItself: 0, gaveUp: 0, slowestRecoveryMs: 0 };

    for (let i = 0; i < kills; i++) {
      const phase: Phase = soakMode === 'full' ? weightedPhase(random.next()) : (phases[i % phases.length] as Phase);
      const label = `kill ${i + 1} (${phase})`;
      seen.phases.set(phase, (seen.phases.get(phase) ?? 0) + 1);
      try {
        const notReady = await ensureReady();
        if (notReady) throw new Error(`before the kill: ${notReady}`);

        let build: BuildView | null = null;
        let job: string | null = null;
        if (phase === 'booting') {
          await core.handle('vm.stop', { force: true }, 'cli');
          await core.handle('vm.start', {}, 'cli');
          const launched = await statusWhen((s) => s.state === 'starting' && s.pid !== null, 120_000);
          if (!launched) throw new Error('QEMU was never launched after a start');
          await sleep(random.int(0, Math.round(bootMs * 0.9)));
        } else if (phase === 'ready') {
          await sleep(random.int(0, 3_000));
        } else {
          job = await writeJob(`${Date.now()}-${i}`);
          const started = await core.handle('builds.start', { target: { kind: 'file', file: job } }, 'cli');
          build = await buildWhen(started.id, (b) => b.derivations.some((d) => d.state === 'building') || b.endedAt !== null, 180_000);
          if (!build || build.endedAt !== null) throw new Error(`the build never ran on the builder (${build?.state ?? 'no event'}: ${build?.error ?? ''})`);
          await sleep(random.int(0, 1_500));
        }
        const target = lastStatus;
        if (!target?.pid) throw new Error(`no QEMU to kill (${statusText(target)})`);
        seen.atState.set(target.state, (seen.atState.get(target.state) ?? 0) + 1);
        const killedAt = Date.now();
        kill(target.pid);

        const buildEnd = build ? buildWhen(build.id, (b) => b.endedAt !== null, STUCK_MS) : null;
        const outcome = await statusWhen((s) => s.pid !== target.pid && (s.state === 'ready' || (s.state === 'error' && s.restart.gaveUp)), STUCK_MS);
        if (!outcome) throw new Error(`neither ready again nor a visible give-up within ${STUCK_MS / 1000} s (last: ${statusText(lastStatus)})`);
        seen.slowestRecoveryMs = Math.max(seen.slowestRecoveryMs, Date.now() - killedAt);
        if (outcome.state === 'ready') {
          seen.backByItself += 1;
        } else {
          seen.gaveUp += 1;
          if (!outcome.error?.message || !outcome.error.hint) throw new Error(`the give-up does not say why and what to do: ${statusText(outcome)}`);
          const again = await ensureReady();
          if (again) throw new Error(`after the give-up: ${again}`);
        }

        if (build && buildEnd && job) {
          const ended = await buildEnd;
          if (!ended) throw new Error(`the build in flight never ended within ${STUCK_MS / 1000} s of the kill`);
          if (ended.state !== 'failed') throw new Error(`the build in flight ended ${ended.state}, not failed (${ended.error ?? ''})`);
          if (ended.derivations.some((d) => d.state === 'building' || d.state === 'waiting')) throw new Error('the failed build still shows derivations building or waiting');
          const notReadyAgain = await ensureReady();
          if (notReadyAgain) throw new Error(`before the re-run: ${notReadyAgain}`);
          const rerun = await core.handle('builds.start', { target: { kind: 'file', file: job } }, 'cli');
          const done = await buildWhen(rerun.id, (b) => b.endedAt !== null, STUCK_MS);
          if (!done) throw new Error(`the re-run did not end within ${STUCK_MS / 1000} s`);
          if (done.state !== 'succeeded') throw new Error(`the re-run ended ${done.state}: ${done.error ?? ''}`);
          const output = await fs.readFile(done.outputPaths[0] ?? '', 'utf8').catch(() => '');
          if (!output.endsWith(`-${BUILD_LOOPS}\n`)) throw new Error(`the re-run's output is wrong: ${JSON.stringify(output)}`);
        }
        if (stuck.longestMs > STUCK_MS) throw new Error(`the builder was away from a stable state for ${Math.round(stuck.longestMs / 1000)} s (from ${stuck.longestAt})`);
        tally.ok();
      } catch (error) {
        tally.lost(`${label}: ${(error as Error).message}`);
      }
    }

    const atState = [...seen.atState].map(([state, count]) => `${count} ${state}`).join(', ');
    const byPhase = [...seen.phases].map(([phase, count]) => `${count} ${phase}`).join(', ');
    await writeFigure(
      tally.figure('1-qemu-kill', 'kill -9 of QEMU while booting, ready, mid-build (ready again or visible give-up)', [
        `seed ${random.seed}; kills ${byPhase}; the builder was ${atState || 'never'} at the kill; ${seen.backByItself} came back by themselves, ${seen.gaveUp} gave up visibly and came back on a start`,
        `slowest recovery ${Math.round(seen.slowestRecoveryMs / 1000)} s; longest away from a stable state ${Math.round(stuck.longestMs / 1000)} s`,
      ]),
    );
    expect(tally.failures).toEqual([]);
  });
});

/**
 * A quarter while booting (each begins with a user's start, which clears the restart history),
 * the rest while ready or building, so streaks of kills without a start reach the give-up.
 */
function weightedPhase(roll: number): Phase {
  return roll < 0.25 ? 'booting' : roll < 0.75 ? 'ready' : 'mid-build';
}

function statusText(status: Status | null): string {
  if (!status) return 'no status';
  return `${status.state}, ${status.detail}${status.error ? `, error: ${status.error.message}` : ''}, restart ${JSON.stringify(status.restart)}`;
}
