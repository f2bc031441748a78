/**
 * Fault figure: 50 `kill -9` of the process doing `nix apply` and `nix remove` (the built CLI,
 * `builder-bar --state-dir S nix apply|remove --conf-dir D`, with the nix commands it runs), at
 * spread-out moments: no wiring file is ever truncated or half-written, and a `nix remove`
 * afterwards restores every file byte for byte, with its mode.
 *
 * The conf dir holds the user's own nix.conf and ssh_config (edited, then restored) and gets
 * machines, known_hosts and the client key (created, then deleted). "Planned content" is the
 * plan's own `after` bytes, computed in this process from the same state dir, and checked
 * against what one uninterrupted apply writes. No VM runs: plan/apply/remove read the keys and
 * settings from the state dir (`wiringInputsFromState`), as wiring.integration.test.ts does.
 *
 * Kill moments: a third at a uniform time over the process's life (measured by the
 * uninterrupted run), two thirds on the k-th file-system event in the conf dir or the state
 * dir (inotify), k uniform over the events of an uninterrupted run, so many land between the
 * first and the last write. Each kill is classified afterwards by what the files hold (nothing
 * written yet, part, all) and the spread is printed with the figure.
 *
 * After each kill: every planned file holds its original bytes (or is absent, as it was) or
 * exactly its planned bytes, with the matching mode (else: lost). Half of the killed applies are
 * then completed by a fresh `nix apply`, which must leave exactly the plan. Then `nix remove`
 * must give back every original file byte for byte, with its mode, and leave no file apply made.
 * Files the killed process left behind that are neither the user's nor planned (atomic-write
 * temporaries) are counted and reported as litter.
 */
import { watch, type FSWatcher } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planSession, openWiringSession } from '../core/nix/wiringSession.js';
import { statePaths } from '../core/paths.js';
import { assertBuilt, cliBin, figuresDir, projectRoot, scenarioRandom, sleep, soakCount, Tally, writeFigure, type Random } from './soakKit.js';

interface FileState {
  bytes: Buffer;
  mode: number;
}
type DirSnapshot = Map<string, FileState>;

async function snapshot(dir: string): Promise<DirSnapshot> {
  const result: DirSnapshot = new Map();
  for (const name of await fs.readdir(dir)) {
    const file = path.join(dir, name);
    result.set(name, { bytes: await fs.readFile(file), mode: (await fs.stat(file)).mode & 0o7777 });
  }
  return result;
}

function sameFile(a: FileState | undefined, b: FileState | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.mode === b.mode && a.bytes.equals(b.bytes);
}

function describeDiff(expected: DirSnapshot, actual: DirSnapshot): string {
  const names = new Set([...expected.keys(), ...actual.keys()]);
  const diffs: string[] = [];
  for (const name of [...names].sort()) {
    const want = expected.get(name);
    const got = actual.get(name);
    if (sameFile(want, got)) continue;
    if (!want) diffs.push(`${name} should not be there`);
    else if (!got) diffs.push(`${name} is missing`);
    else if (!want.bytes.equals(got.bytes)) diffs.push(`${name} has ${got.bytes.length} bytes that differ (expected ${want.bytes.length})`);
    else diffs.push(`${name} has mode ${got.mode.toString(8)}, expected ${want.mode.toString(8)}`);
  }
  return diffs.join('; ');
}

/** An apply or remove takes about a second; one still running after this is hung. */
const hungAfterMs = 30_000;

/**
 * What a hung CLI is doing, then ends it (its whole process group): Node's diagnostic report
 * (asked for with SIGUSR2), the kernel's view (/proc state, wait channel) and its open files.
 */
async function describeHungProcess(pid: number, reportsDir: string): Promise<string> {
  const parts: string[] = [];
  const proc = async (name: string): Promise<string> => fs.readFile(`/proc/${pid}/${name}`, 'utf8').catch((error: Error) => `(${error.message})`);
  parts.push(`pid ${pid}, ${(await proc('status')).split('\n').filter((line) => /^(State|Threads):/.test(line)).join(', ')}, wchan ${await proc('wchan')}`);
  const fds = await fs.readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  const targets = await Promise.all(fds.map((fd) => fs.readlink(`/proc/${pid}/fd/${fd}`).then((target) => `${fd}->${target}`, () => `${fd}->?`)));
  // Module files being loaded say nothing; sockets, pipes and the user's files do.
  parts.push(`open files: ${targets.filter((target) => !target.endsWith('.js')).slice(0, 40).join(' ')}`);
  const before = new Set(await fs.readdir(reportsDir));
  try {
    process.kill(pid, 'SIGUSR2');
  } catch {
    // gone meanwhile
  }
  await sleep(2_000);
  const fresh = (await fs.readdir(reportsDir)).filter((name) => !before.has(name));
  for (const name of fresh) {
    const report = JSON.parse(await fs.readFile(path.join(reportsDir, name), 'utf8')) as {
      javascriptStack?: { message?: string; stack?: string[] };
      libuv?: { type: string; is_active: boolean; filename?: string; remoteEndpoint?: unknown }[];
    };
    parts.push(`report ${path.join(reportsDir, name)}: JS stack ${JSON.stringify(report.javascriptStack?.stack?.slice(0, 12) ?? [])}`);
    const active = (report.libuv ?? []).filter((handle) => handle.is_active).map((handle) => `${handle.type}${handle.filename ? ` ${handle.filename}` : ''}`);
    parts.push(`active handles: ${active.join(', ')}`);
  }
  if (fresh.length === 0) parts.push('no diagnostic report came within 2 s');
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // gone meanwhile
  }
  return parts.join('; ');
}

const userNixConf = '# my own settings\nkeep-outputs = true\n\n# the end, no trailing newline';
const userSshConfig = 'Host example\n  User me\n  Port 2222\n';

describe('kill -9 of nix apply and nix remove', () => {
  let root: string;
  let stateDir: string;
  let confDir: string;
  let reportsDir: string;
  let original: DirSnapshot;
  let planned: DirSnapshot;
  const timings = { apply: 0, remove: 0 };
  const events = { apply: 0, remove: 0 };

  /**
   * The built CLI in its own process group, so a kill takes the nix commands it runs too. Node
   * writes a diagnostic report (JS stack, open handles) on SIGUSR2, for a run that hangs.
   */
  function spawnCli(action: 'apply' | 'remove'): ResultPromise {
    const args = [
      `--report-on-signal`,
      `--report-signal=SIGUSR2`,
      `--report-directory=${reportsDir}`,
      cliBin,
      '--state-dir',
      stateDir,
      'nix',
      action,
      ...(action === 'apply' ? ['--conf-dir', confDir] : []),
    ];
    return execa(process.execPath, args, { cwd: projectRoot, reject: false, detached: true, stdin: 'ignore', all: true });
  }

  /**
   * One whole apply or remove, which takes about a second. One that has not ended after
   * `hungAfterMs` (once, in a CI run, a remove after a killed remove printed nothing for 120 s)
   * fails the kill with what it was doing: its report's JS stack and handles, its kernel state
   * and open files.
   */
  async function runToEnd(action: 'apply' | 'remove'): Promise<void> {
    const result = await endOf(spawnCli(action), action);
    if (result.exitCode !== 0) throw new Error(`nix ${action} failed (${result.exitCode ?? result.signal}): ${String(result.all)}`);
  }

  /** The child's result, or (hung) an error saying what it was doing. */
  async function endOf(child: ResultPromise, action: 'apply' | 'remove'): Promise<Awaited<ResultPromise>> {
    let hung: Promise<string> | null = null;
    const timer = setTimeout(() => {
      hung = describeHungProcess(child.pid ?? 0, reportsDir);
    }, hungAfterMs);
    const result = await child;
    clearTimeout(timer);
    if (hung !== null) throw new Error(`nix ${action} did not end within ${hungAfterMs / 1000} s: ${await hung}`);
    return result;
  }

  /** Counts inotify events in the two directories apply and remove write to. */
  function watchWrites(onEvent: () => void): () => void {
    const watchers: FSWatcher[] = [watch(confDir, onEvent), watch(stateDir, onEvent)];
    for (const watcher of watchers) watcher.on('error', () => undefined);
    return () => {
      for (const watcher of watchers) watcher.close();
    };
  }

  beforeAll(async () => {
    assertBuilt();
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'bb-soak-wiring-'));
    stateDir = path.join(root, 'state');
    confDir = path.join(root, 'conf');
    reportsDir = path.join(figuresDir, 'wiring-kill-reports');
    await fs.mkdir(reportsDir, { recursive: true });
    await fs.mkdir(confDir, { recursive: true });
    await fs.writeFile(path.join(confDir, 'nix.conf'), userNixConf, { mode: 0o640 });
    await fs.chmod(path.join(confDir, 'nix.conf'), 0o640);
    await fs.writeFile(path.join(confDir, 'ssh_config'), userSshConfig, { mode: 0o600 });
    await fs.chmod(path.join(confDir, 'ssh_config'), 0o600);
    original = await snapshot(confDir);

    // The plan's own bytes, from the state dir the CLI will read (this also makes the keys).
    const paths = statePaths({ stateDir });
    const session = await openWiringSession(paths, { kind: 'confDir', dir: confDir }, 'linux');
    const plan = await planSession(session, stateDir);
    expect(plan.problems).toEqual([]);
    planned = new Map(original);
    for (const file of plan.files) {
      planned.set(path.basename(file.path), { bytes: Buffer.from(file.after), mode: file.mode });
    }

    // One uninterrupted apply and remove: they must do exactly that, and they time the kills.
    for (const action of ['apply', 'remove'] as const) {
      let count = 0;
      const stop = watchWrites(() => count++);
      const started = Date.now();
      await runToEnd(action);
      timings[action] = Date.now() - started;
      await sleep(50);
      stop();
      events[action] = count;
      const expected = action === 'apply' ? planned : original;
      const diff = describeDiff(expected, await snapshot(confDir));
      if (diff !== '') throw new Error(`an uninterrupted nix ${action} did not ${action === 'apply' ? 'write the plan' : 'restore the originals'}: ${diff}`);
    }
  });

  afterAll(async () => {
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  /** Starts `action` and kills its process group at a moment chosen by `random`; says how it chose. */
  async function killDuring(action: 'apply' | 'remove', random: Random): Promise<{ how: string; exitedFirst: boolean }> {
    const child = spawnCli(action);
    const pid = child.pid ?? 0;
    let killed = false;
    const kill = (): void => {
      if (killed) return;
      killed = true;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    let how: string;
    let stopWatching = (): void => undefined;
    if (random.chance(1 / 3)) {
      const at = random.int(0, timings[action]);
      how = `at ${at} ms`;
      setTimeout(kill, at);
    } else {
      const k = random.int(1, Math.max(1, events[action]));
      const lag = random.int(0, 3);
      how = `at file event ${k} + ${lag} ms`;
      let seen = 0;
      stopWatching = watchWrites(() => {
        seen += 1;
        if (seen === k) {
          if (lag === 0) kill();
          else setTimeout(kill, lag);
        }
      });
    }
    try {
      const result = await endOf(child, action);
      return { how, exitedFirst: result.signal !== 'SIGKILL' };
    } finally {
      stopWatching();
    }
  }

  /** Every planned file is its original or its planned self; names what is not. */
  function checkNoHalfWrites(now: DirSnapshot): { broken: string[]; litter: string[]; written: number } {
    const broken: string[] = [];
    let written = 0;
    for (const name of new Set([...original.keys(), ...planned.keys()])) {
      const got = now.get(name);
      if (sameFile(got, planned.get(name)) && !sameFile(got, original.get(name))) written += 1;
      else if (!sameFile(got, original.get(name))) {
        broken.push(got ? `${name} (${got.bytes.length} bytes, mode ${got.mode.toString(8)}) is neither the original nor the plan` : `${name} is missing`);
      }
    }
    const litter = [...now.keys()].filter((name) => !original.has(name) && !planned.has(name));
    return { broken, litter, written };
  }

  it('leaves every wiring file whole after each kill, and remove restores the originals byte for byte', async () => {
    const kills = soakCount(50, 6);
    const random = scenarioRandom('nix apply/remove kill');
    const tally = new Tally();
    const landed = { apply: { none: 0, part: 0, all: 0, exited: 0 }, remove: { none: 0, part: 0, all: 0, exited: 0 } };
    const litter: string[] = [];
    const plannedCount = [...planned.keys()].filter((name) => !sameFile(planned.get(name), original.get(name))).length;

    for (let i = 0; i < kills; i++) {
      const action = i % 2 === 0 ? 'apply' : 'remove';
      const label = `kill ${i + 1} (${action})`;
      try {
        if (action === 'remove') {
          await runToEnd('apply');
          const diff = describeDiff(planned, await snapshot(confDir));
          if (diff !== '') throw new Error(`apply before the killed remove did not write the plan: ${diff}`);
        }
        const { how, exitedFirst } = await killDuring(action, random);
        const after = await snapshot(confDir);
        const check = checkNoHalfWrites(after);
        const stage = landed[action];
        if (exitedFirst) stage.exited += 1;
        else if (check.written === 0) stage[action === 'apply' ? 'none' : 'all'] += 1;
        else if (check.written === plannedCount) stage[action === 'apply' ? 'all' : 'none'] += 1;
        else stage.part += 1;
        if (check.litter.length > 0) litter.push(`${label} ${how}: ${check.litter.join(', ')}`);
        if (check.broken.length > 0) throw new Error(`${how}: ${check.broken.join('; ')}`);

        if (action === 'apply' && i % 4 === 0) {
          await runToEnd('apply');
          const diff = describeDiff(planned, withoutLitter(await snapshot(confDir)));
          if (diff !== '') throw new Error(`${how}: a fresh apply after the kill did not leave exactly the plan: ${diff}`);
        }
        await runToEnd('remove');
        const diff = describeDiff(original, withoutLitter(await snapshot(confDir)));
        if (diff !== '') throw new Error(`${how}: remove afterwards did not restore the originals: ${diff}`);
        const record = await fs.stat(path.join(stateDir, 'nix-wiring.json')).then(() => true, () => false);
        if (record) throw new Error(`${how}: remove afterwards left the wiring record behind`);
        tally.ok();
      } catch (error) {
        tally.lost(`${label}: ${(error as Error).message}`);
        // Start the next kill from the user's files as they were.
        for (const name of await fs.readdir(confDir)) await fs.rm(path.join(confDir, name), { force: true });
        for (const [name, state] of original) {
          await fs.writeFile(path.join(confDir, name), state.bytes);
          await fs.chmod(path.join(confDir, name), state.mode);
        }
        await fs.rm(path.join(stateDir, 'nix-wiring.json'), { force: true });
      }
      // Litter the killed process left is counted once, then cleared, so it is not counted again.
      for (const name of await fs.readdir(confDir)) {
        if (!original.has(name) && !planned.has(name)) await fs.rm(path.join(confDir, name), { force: true });
      }
    }

    const spread = (stage: { none: number; part: number; all: number; exited: number }): string =>
      `${stage.none} before any file changed, ${stage.part} with some files changed, ${stage.all} with all changed, ${stage.exited} after it had exited`;
    await writeFigure(
      tally.figure('2-wiring-kill', 'kill -9 of `nix apply` / `nix remove` (files whole, remove byte-exact)', [
        `seed ${random.seed}; uninterrupted apply ${timings.apply} ms (${events.apply} file events), remove ${timings.remove} ms (${events.remove} file events)`,
        `apply kills: ${spread(landed.apply)}`,
        `remove kills: ${spread(landed.remove)}`,
        `litter (temporary files a killed process left in the conf dir): ${litter.length} kill(s)${litter.length > 0 ? `, e.g. ${litter.slice(0, 3).join(' | ')}` : ''}`,
      ]),
    );
    expect(tally.failures.slice(0, 10)).toEqual([]);
    expect(tally.lostCount).toBe(0);
  });

  function withoutLitter(now: DirSnapshot): DirSnapshot {
    return new Map([...now].filter(([name]) => original.has(name) || planned.has(name)));
  }
});
