/**
 * What every soak scenario shares: how big a run is (short in `npm test`, full in
 * `npm run soak`), a seeded random source whose seed is printed, the figure each scenario
 * writes (tried / survived / lost, and time) for the table `figures.ts` prints, a real
 * `builder-bar serve` child, the CPU time a process used, and the mounts the hostile-disk
 * scenario makes. Soak tests stop by themselves: every wait here has a bound.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';

export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
export const cliBin = path.join(projectRoot, 'out', 'electron', 'cli', 'bin.js');
export const figuresDir = path.join(projectRoot, 'test-results', 'soak');

// ---------------------------------------------------------------------------------------------
// Size of a run
// ---------------------------------------------------------------------------------------------

export type SoakMode = 'short' | 'full';

export const soakMode: SoakMode = process.env.SOAK === 'full' ? 'full' : 'short';

/** `SOAK_SCALE=0.05 npm run soak` tries a smaller full run (5 kills instead of 100). */
const soakScale = (() => {
  const raw = process.env.SOAK_SCALE;
  if (raw === undefined || raw === '') return 1;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`SOAK_SCALE must be a positive number, not ${JSON.stringify(raw)}`);
  return value;
})();

/** The count for this run: the figure in full mode (scaled), a handful in short mode. */
export function soakCount(full: number, short: number): number {
  return soakMode === 'full' ? Math.max(1, Math.round(full * soakScale)) : short;
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness
// ---------------------------------------------------------------------------------------------

export interface Random {
  readonly seed: number;
  /** [0, 1) */
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(probability: number): boolean;
}

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    seed,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)] as (typeof items)[number];
    },
    chance: (probability) => next() < probability,
  };
}

/** `SOAK_SEED=N` replays a run; otherwise a fresh seed, printed so a failure can be replayed. */
export function scenarioRandom(scenario: string): Random {
  const fromEnv = process.env.SOAK_SEED;
  const seed = fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) >>> 0 : Math.floor(Math.random() * 2 ** 32);
  console.log(`[soak] ${scenario}: seed ${seed} (SOAK_SEED=${seed} replays this run)`);
  return seededRandom(seed);
}

// ---------------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------------

export interface Figure {
  /** File name under test-results/soak/ and the table's sort key, e.g. `1-qemu-kill`. */
  id: string;
  /** What was tried, in words, as the README table shows it. */
  what: string;
  tried: number;
  survived: number;
  lost: number;
  seconds: number;
  /** The first few failures, and anything a reader of the figure needs (seed, what was skipped). */
  notes: string[];
}

export async function writeFigure(figure: Figure): Promise<void> {
  await fs.mkdir(figuresDir, { recursive: true });
  const record = { ...figure, mode: soakMode, scale: soakScale, at: new Date().toISOString() };
  await fs.writeFile(path.join(figuresDir, `${figure.id}.json`), `${JSON.stringify(record, null, 2)}\n`);
  console.log(`[soak] ${figure.what}: tried ${figure.tried}, survived ${figure.survived}, lost ${figure.lost} (${figure.seconds.toFixed(0)} s)`);
  for (const note of figure.notes.slice(0, 20)) console.log(`[soak]   ${note}`);
}

/** Counts outcomes and keeps the first failures' descriptions for the figure's notes. */
export class Tally {
  tried = 0;
  survived = 0;
  readonly failures: string[] = [];
  private readonly started = Date.now();

  ok(): void {
    this.tried += 1;
    this.survived += 1;
  }

  lost(why: string): void {
    this.tried += 1;
    if (this.failures.length < 50) this.failures.push(why.replace(/\s*\n\s*/g, ' | '));
  }

  get lostCount(): number {
    return this.tried - this.survived;
  }

  figure(id: string, what: string, notes: string[] = []): Figure {
    return {
      id,
      what,
      tried: this.tried,
      survived: this.survived,
      lost: this.lostCount,
      seconds: (Date.now() - this.started) / 1000,
      notes: [...notes, ...this.failures],
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Waiting, with a bound
// ---------------------------------------------------------------------------------------------

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until it returns a value other than undefined; null after `timeoutMs`. */
export async function pollUntil<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<T | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) return null;
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------------------------------------
// The built CLI, and `serve` as a child process
// ---------------------------------------------------------------------------------------------

export function assertBuilt(): void {
  if (!existsSync(cliBin)) throw new Error(`Builder Bar is not built (${cliBin} is missing): run \`npm run build\` first.`);
}

export interface ServeChild {
  readonly pid: number;
  readonly port: number;
  readonly token: string;
  readonly socketPath: string;
  /** True until the process exits. */
  alive(): boolean;
  /** How it ended, once it has ("signal SIGKILL", "code 1"), with what it printed. */
  exitDescription(): string | null;
  output(): string;
  /** Ctrl-C, then SIGKILL if it does not end within 20 s. */
  stop(): Promise<void>;
}

const servingLine = /Builder Bar is serving on http:\/\/127\.0\.0\.1:(\d+)\/\S*#token=([A-Za-z0-9_-]+)/;

/** `builder-bar --state-dir DIR serve --profile linux-test` on a free port, as a user runs it. */
export async function startServeChild(stateDir: string, env: Record<string, string> = {}): Promise<ServeChild> {
  assertBuilt();
  const child: ResultPromise = execa(process.execPath, [cliBin, '--state-dir', stateDir, 'serve', '--profile', 'linux-test', '--port', '0'], {
    cwd: projectRoot,
    reject: false,
    buffer: false,
    stdin: 'ignore',
    env,
  });
  let printed = '';
  let ended: string | null = null;
  const exited = child.then((result) => {
    ended = result.signal ? `signal ${result.signal}` : `code ${String(result.exitCode)}`;
  });
  const onData = (chunk: Buffer): void => {
    printed = `${printed}${chunk.toString('utf8')}`.slice(-200_000);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const match = await pollUntil(() => servingLine.exec(printed) ?? (ended !== null ? null : undefined), 120_000, 50);
  if (!match) {
    child.kill('SIGKILL');
    throw new Error(`serve did not print its URL (${ended ?? 'still running after 120 s'}):\n${printed}`);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error('serve has no pid');
  return {
    pid,
    port: Number(match[1]),
    token: match[2] ?? '',
    socketPath: path.join(stateDir, 'core.sock'),
    alive: () => ended === null,
    exitDescription: () => (ended === null ? null : `${ended}; it printed:\n${printed.slice(-4000)}`),
    output: () => printed,
    async stop() {
      if (ended !== null) return;
      child.kill('SIGINT');
      const done = await Promise.race([exited.then(() => true), sleep(20_000).then(() => false)]);
      if (!done) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// CPU time of a process (from /proc, as `top` reads it)
// ---------------------------------------------------------------------------------------------

let clockTicks: number | null = null;

async function ticksPerSecond(): Promise<number> {
  if (clockTicks === null) {
    const result = await execa('getconf', ['CLK_TCK'], { reject: false });
    const value = Number(result.stdout);
    clockTicks = Number.isFinite(value) && value > 0 ? value : 100;
  }
  return clockTicks;
}

/** User plus system CPU seconds the process (all its threads) has used so far. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name is in parentheses and may hold spaces: count fields after the last ")".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / (await ticksPerSecond());
}

export interface CpuComparison {
  /** CPU seconds the watched process used in the window. */
  process: number;
  /** CPU seconds a busy loop used in the same window, on the same machine. */
  busyLoop: number;
  windowSeconds: number;
  /** process / busyLoop: about 1 for a spinning process, about 0.01 for an idle one. */
  ratio: number;
}

/**
 * The watched process's CPU time over a window, beside a busy loop's over the same window:
 * on a shared 2-core machine a spinning process gets whatever share the others leave, so a
 * busy loop measured at the same time is the honest yardstick.
 */
export async function compareWithBusyLoop(pid: number, windowMs = 4_000): Promise<CpuComparison> {
  const busy = execa(process.execPath, ['-e', `const end = Date.now() + ${windowMs + 1_000}; while (Date.now() < end) {}`], { reject: false });
  await sleep(300);
  const busyPid = busy.pid ?? 0;
  const [processBefore, busyBefore] = [await cpuSeconds(pid), await cpuSeconds(busyPid)];
  const started = Date.now();
  await sleep(windowMs);
  const [processAfter, busyAfter] = [await cpuSeconds(pid), await cpuSeconds(busyPid)];
  const windowSeconds = (Date.now() - started) / 1000;
  busy.kill('SIGKILL');
  await busy;
  const used = processAfter - processBefore;
  const busyUsed = Math.max(busyAfter - busyBefore, 0.01);
  return { process: used, busyLoop: busyUsed, windowSeconds, ratio: used / busyUsed };
}

// ---------------------------------------------------------------------------------------------
// Mounts (we run as root here; each helper says so when it cannot)
// ---------------------------------------------------------------------------------------------

/** A tmpfs of `sizeBytes` at `dir`: a disk the test can fill. */
export async function mountTmpfs(dir: string, sizeBytes: number): Promise<void> {
  await execa('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0700`, 'tmpfs', dir]);
}

/**
 * Makes `dir` read-only for everything opened from now on: a read-only bind mount over itself.
 * Files already open for writing (QEMU's disk) keep working, as they would on a disk that
 * turned read-only under a running VM; every new open or rename under `dir` fails with EROFS.
 */
export async function bindReadOnly(dir: string): Promise<void> {
  await execa('mount', ['--bind', dir, dir]);
  await execa('mount', ['-o', 'remount,bind,ro', dir]);
}

export async function unmount(dir: string): Promise<void> {
  const result = await execa('umount', [dir], { reject: false });
  if (result.exitCode !== 0) await execa('umount', ['-l', dir], { reject: false });
}

/** Whether this machine lets the test mount a tmpfs; the reason when not. */
export async function mountingWorks(scratch: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  const dir = path.join(scratch, 'mount-probe');
  await fs.mkdir(dir, { recursive: true });
  const mounted = await execa('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { reject: false });
  if (mounted.exitCode !== 0) return { ok: false, reason: `mount -t tmpfs failed: ${String(mounted.stderr || mounted.message || 'no message').trim()}` };
  await unmount(dir);
  return { ok: true };
}
