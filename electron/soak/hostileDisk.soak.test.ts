/**
 * Fault figure: a read-only state dir, a full disk, a log dir that cannot rotate. Each gives a
 * clear error that says what to do (in the reply, the status or the app log), nothing is lost
 * (settings.json and the Nix wiring files keep their bytes; once the fault is gone the same
 * requests work and `nix.remove` restores the conf dir byte for byte), and the `serve` process
 * stays alive and idle.
 *
 * Each case runs a real `builder-bar serve` child, sets a setting and applies the Nix wiring to
 * a conf dir through it, then turns the fault on and probes: a settings change, `nix.remove`,
 * `status.get`, the CPU the process uses over a few seconds (against a busy loop measured in the
 * same window: a spinning process gets about the same share as the loop on a shared machine),
 * and whether it lives. Figures count probes: tried / survived / lost.
 *
 *   - read-only state dir: a read-only bind mount over the state dir while the core has a QEMU
 *     (a QEMU the test starts bare, `-machine none`, which the core adopts as an earlier core's
 *     builder: no guest image to build, and the same code path as a crashed builder), then that
 *     QEMU is killed. The core must live, leave `starting`, and say the state dir is read-only.
 *   - full disk: the state dir and the conf dir on a small tmpfs the test fills.
 *   - log dir that cannot rotate: `app.log` and `nix-wiring.log` at their 5 MiB limit with a
 *     directory where `.3` should go, so every rotation fails.
 *
 * Mounting needs root (these machines run tests as root); where it is refused, the two mount
 * cases are recorded as skipped with the reason.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareStateDir } from '../core/stateDir.js';
import { vmFilesIn, writeBootRecord } from '../core/vm/vmFiles.js';
import { freeLoopbackPort } from '../core/vm/testing/freeLoopbackPort.js';
import type { ErrorInfo, LogLine, Settings, Status } from '../ipc/contract.js';
import { SocketDoorClient } from './doorClients.js';
import {
  bindReadOnly, compareWithBusyLoop, mountingWorks, mountTmpfs, pollUntil, startServeChild, Tally, unmount, writeFigure, type ServeChild,
} from './soakKit.js';

type Envelope = { ok: true; value: unknown } | { ok: false; error: ErrorInfo };
type Snapshot = Map<string, { bytes: Buffer; mode: number }>;

// Only the mount probe runs when the file loads (the skips below need its answer), in a dir of its
// own; the scratch dir is made in beforeAll: with every test here filtered out, no afterAll runs.
const mounting = await fs.mkdtemp(path.join(os.tmpdir(), 'bb-soak-mount-probe-')).then(async (dir) => {
  try {
    return await mountingWorks(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
let scratch = '';
const mounts: string[] = [];
const serves: ServeChild[] = [];
const qemus: ResultPromise[] = [];

/** The generic hint of an unexpected error: it tells the user a bug happened, not what to do about a full or read-only disk. */
const BUG_HINT = /This is a bug in Builder Bar/;
/** A busy loop measured beside it gets ~1; an idle core ~0.01. */
const IDLE_RATIO = 0.25;

async function snapshot(dir: string): Promise<Snapshot> {
  const result: Snapshot = new Map();
  for (const name of await fs.readdir(dir)) {
    if (name.startsWith('.')) continue;
    const file = path.join(dir, name);
    result.set(name, { bytes: await fs.readFile(file), mode: (await fs.stat(file)).mode & 0o7777 });
  }
  return result;
}

function same(a: Snapshot, b: Snapshot): boolean {
  if (a.size !== b.size) return false;
  for (const [name, file] of a) {
    const other = b.get(name);
    if (!other || other.mode !== file.mode || !other.bytes.equals(file.bytes)) return false;
  }
  return true;
}

/** Each file is the original or the applied one: the wiring is whole, whichever it is. */
function wiringWhole(now: Snapshot, original: Snapshot, applied: Snapshot): string | null {
  for (const name of new Set([...now.keys(), ...original.keys(), ...applied.keys()])) {
    const file = now.get(name);
    const matches = (snap: Snapshot): boolean => {
      const want = snap.get(name);
      return want === undefined ? file === undefined : file !== undefined && want.mode === file.mode && want.bytes.equals(file.bytes);
    };
    if (!matches(original) && !matches(applied)) return `${name} is neither its original nor its applied self`;
  }
  return null;
}

/** A core with a setting changed and the wiring applied to `confDir`, as a user would have it. */
interface Prepared {
  serve: ServeChild;
  client: SocketDoorClient;
  stateDir: string;
  confDir: string;
  settingsBytes: Buffer;
  original: Snapshot;
  applied: Snapshot;
}

async function prepare(stateDir: string, confDir: string, beforeServe?: () => Promise<void>): Promise<Prepared> {
  await fs.mkdir(confDir, { recursive: true });
  await fs.writeFile(path.join(confDir, 'nix.conf'), '# mine\nkeep-outputs = true\n# no newline at the end', { mode: 0o640 });
  await fs.chmod(path.join(confDir, 'nix.conf'), 0o640);
  const original = await snapshot(confDir);
  // A state dir an earlier run made (marked as ours), holding what that run left.
  await prepareStateDir(stateDir);
  await beforeServe?.();
  const serve = await startServeChild(stateDir);
  serves.push(serve);
  const client = await SocketDoorClient.connect(serve.socketPath);
  expectOk(await client.request('settings.set', { patch: { memoryMiB: 768 } }), 'settings.set before the fault');
  expectOk(await client.request('nix.apply', { confDir }), 'nix.apply before the fault');
  return {
    serve, client, stateDir, confDir, original,
    settingsBytes: await fs.readFile(path.join(stateDir, 'settings.json')),
    applied: await snapshot(confDir),
  };
}

function expectOk(reply: unknown, what: string): unknown {
  const envelope = reply as Envelope;
  if (!envelope.ok) throw new Error(`${what} failed: ${envelope.error.message}`);
  return envelope.value;
}

/** Runs the probes of one case; each says what went wrong, or null. */
class Probes {
  readonly tally = new Tally();
  constructor(private readonly core: Prepared) {}

  async run(name: string, probe: () => Promise<string | null>): Promise<void> {
    let problem: string | null;
    try {
      problem = await probe();
    } catch (error) {
      problem = (error as Error).message;
    }
    if (problem === null) this.tally.ok();
    else this.tally.lost(`${name}: ${problem}${this.core.serve.alive() || this.toldDeath ? '' : ` (serve is gone: ${this.deathNote()})`}`);
    if (!this.core.serve.alive()) this.toldDeath = true;
  }

  private toldDeath = false;

  /** How serve ended, on one line (its last words are a stack trace). */
  private deathNote(): string {
    return (this.core.serve.exitDescription() ?? '').replace(/\s*\n\s*/g, ' | ').slice(0, 400);
  }

  /** A request on a live connection (a new one if the old one dropped). */
  async ask(name: string, input: unknown): Promise<Envelope> {
    if (!this.core.serve.alive()) throw new Error('serve is gone');
    if (!this.core.client.isOpen()) this.core.client = await SocketDoorClient.connect(this.core.serve.socketPath);
    return (await this.core.client.request(name, input)) as Envelope;
  }

  /** The change is refused with an error that names the cause and says what to do; nothing moved. */
  async settingsRefused(cause: RegExp): Promise<void> {
    await this.run('a settings change is refused clearly', async () => {
      const reply = await this.ask('settings.set', { patch: { memoryMiB: 896 } });
      if (reply.ok) return 'it was acknowledged although settings.json cannot be written';
      const { code, message, hint } = reply.error;
      if (!cause.test(`${message} ${hint ?? ''}`)) return `the error does not name the cause (${cause}): ${code}: ${message}`;
      if (!hint || BUG_HINT.test(hint)) return `the error does not say what to do (code ${code}, hint ${JSON.stringify(hint)}): ${message}`;
      return null;
    });
    await this.settingsKept(768);
  }

  async settingsKept(memoryMiB: number): Promise<void> {
    await this.run('settings in memory and on disk are kept', async () => {
      const reply = await this.ask('settings.get', {});
      const inMemory = (expectOk(reply, 'settings.get') as Settings).memoryMiB;
      if (inMemory !== memoryMiB) return `memoryMiB is ${inMemory} in memory, expected ${memoryMiB}`;
      const onDisk = await fs.readFile(path.join(this.core.stateDir, 'settings.json'));
      if (!onDisk.equals(this.core.settingsBytes)) return 'settings.json changed';
      return null;
    });
  }

  async wiringKeptThroughRemove(cause: RegExp | null): Promise<void> {
    await this.run('nix.remove under the fault loses nothing', async () => {
      const reply = await this.ask('nix.remove', {});
      const broken = wiringWhole(await snapshot(this.core.confDir), this.core.original, this.core.applied);
      if (broken) return broken;
      if (reply.ok) return null;
      const { code, message, hint } = reply.error;
      if (cause && !cause.test(`${message} ${hint ?? ''}`)) return `the error does not name the cause (${cause}): ${code}: ${message}`;
      if (!hint || BUG_HINT.test(hint)) return `the error does not say what to do (code ${code}, hint ${JSON.stringify(hint)}): ${message}`;
      return null;
    });
  }

  async answersAndIdles(): Promise<void> {
    await this.run('status.get answers', async () => {
      const reply = await this.ask('status.get', {});
      return reply.ok ? null : `status.get failed: ${reply.error.message}`;
    });
    await this.run('the process stays idle', async () => {
      if (!this.core.serve.alive()) return 'serve is not running';
      const cpu = await compareWithBusyLoop(this.core.serve.pid);
      const figures = `${cpu.process.toFixed(2)} CPU s in ${cpu.windowSeconds.toFixed(1)} s; a busy loop beside it used ${cpu.busyLoop.toFixed(2)} s`;
      console.log(`[soak]   CPU: ${figures}`);
      return cpu.ratio < IDLE_RATIO ? null : `it is busy: ${figures}`;
    });
    await this.run('serve is still running', async () => (this.core.serve.alive() ? null : 'serve exited'));
  }

  /** With the fault gone, the same requests work and remove gives back the user's files. */
  async recovers(): Promise<void> {
    await this.run('once the fault is gone, settings save again', async () => {
      const reply = await this.ask('settings.set', { patch: { memoryMiB: 896 } });
      if (!reply.ok) return `refused: ${reply.error.message}`;
      const onDisk = JSON.parse(await fs.readFile(path.join(this.core.stateDir, 'settings.json'), 'utf8')) as Settings;
      return onDisk.memoryMiB === 896 ? null : `settings.json holds memoryMiB ${onDisk.memoryMiB}`;
    });
    await this.run('once the fault is gone, nix.remove restores the conf dir byte for byte', async () => {
      const reply = await this.ask('nix.remove', {});
      if (!reply.ok) return `refused: ${reply.error.message}`;
      return same(await snapshot(this.core.confDir), this.core.original) ? null : 'the conf dir differs from before apply';
    });
  }
}

async function appLogMentions(probes: Probes, pattern: RegExp): Promise<boolean> {
  const reply = await probes.ask('logs.tail', { source: 'app', lines: 2000 });
  const lines = reply.ok ? (reply.value as { lines: LogLine[] }).lines : [];
  return lines.some((line) => (line.level === 'warn' || line.level === 'error') && pattern.test(line.text));
}

beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'bb-soak-disk-'));
});

afterAll(async () => {
  for (const qemu of qemus) qemu.kill('SIGKILL');
  for (const serve of serves) await serve.stop();
  for (const dir of mounts.reverse()) await unmount(dir);
  if (scratch) await fs.rm(scratch, { recursive: true, force: true });
});

describe('a hostile disk', () => {
  beforeAll(() => {
    if (!mounting.ok) console.log(`[soak] mounting is refused here (${mounting.reason}): the read-only and full-disk cases are skipped`);
  });

  it.skipIf(!mounting.ok)('a read-only state dir: a clear error, nothing lost, the core lives and idles', async () => {
    const stateDir = path.join(scratch, 'ro-state');
    const core = await prepare(stateDir, path.join(scratch, 'ro-conf'), async () => {
      // A QEMU left running by an "earlier core", for this one to adopt (see the header).
      const files = vmFilesIn(path.join(stateDir, 'vm'));
      await fs.mkdir(files.vmDir, { recursive: true, mode: 0o700 });
      const qemu = execa('qemu-system-x86_64', ['-machine', 'none', '-nodefaults', '-display', 'none', '-qmp', `unix:${files.qmpSocket},server=on,wait=off`], {
        cwd: files.vmDir, reject: false, stdin: 'ignore',
      });
      qemus.push(qemu);
      if (!(await pollUntil(async () => (await fs.stat(files.qmpSocket).then(() => true, () => false)) || undefined, 20_000))) throw new Error('the bare QEMU made no QMP socket');
      await writeBootRecord(files, {
        pid: qemu.pid ?? 0, profile: 'linux-test', qemuBinary: '/usr/bin/qemu-system-x86_64', bootMarker: 'builder-bar-boot-soak-readonly',
        sshPort: await freeLoopbackPort(), accelerator: { name: 'tcg', reason: 'soak test' }, startedAt: Date.now(),
      });
    });
    const probes = new Probes(core);
    await probes.run('the core adopted the running QEMU', async () => {
      const status = expectOk(await probes.ask('status.get', {}), 'status.get') as Status;
      return status.adopted && status.pid === qemus[0]?.pid ? null : `status: ${status.state}, adopted ${String(status.adopted)}, pid ${String(status.pid)}`;
    });

    await bindReadOnly(stateDir);
    mounts.push(stateDir);
    await probes.settingsRefused(/read-only/i);
    await probes.wiringKeptThroughRemove(/read-only/i);

    qemus[0]?.kill('SIGKILL');
    await probes.run('after QEMU dies, the status leaves starting and says why', async () => {
      const settled = await pollUntil(async () => {
        if (!core.serve.alive()) return null;
        const reply = await probes.ask('status.get', {}).catch(() => null);
        const status = reply?.ok ? (reply.value as Status) : null;
        return status && (status.state === 'error' || status.state === 'stopped') ? status : undefined;
      }, 60_000, 500);
      if (!settled) return core.serve.alive() ? 'the status still shows the dead QEMU as the builder after 60 s' : 'serve died when QEMU exited';
      const said = `${settled.error?.message ?? ''} ${settled.error?.hint ?? ''}`;
      if (/read-only/i.test(said) || (await appLogMentions(probes, /read-only/i))) return null;
      return `neither the status nor the app log says the state dir is read-only (status: ${said.trim()})`;
    });
    await probes.answersAndIdles();

    await unmount(stateDir);
    mounts.splice(mounts.indexOf(stateDir), 1);
    await probes.recovers();

    await writeFigure(probes.tally.figure('5a-readonly-state', 'read-only state dir (settings, nix.remove, QEMU exit)'));
    expect(probes.tally.failures).toEqual([]);
  });

  it.skipIf(!mounting.ok)('a full disk: a clear error, nothing lost, the core lives and idles', async () => {
    const disk = path.join(scratch, 'small-disk');
    await fs.mkdir(disk);
    await mountTmpfs(disk, 16 * 1024 * 1024);
    mounts.push(disk);
    const core = await prepare(path.join(disk, 'state'), path.join(disk, 'conf'));
    const probes = new Probes(core);

    const filler = path.join(disk, 'filler');
    const handle = await fs.open(filler, 'w');
    for (let size = 1024 * 1024; size >= 512; ) {
      const written = await handle.write(Buffer.alloc(size)).then(() => true, () => false);
      if (!written) size /= 2;
    }
    await handle.close();

    await probes.settingsRefused(/space|ENOSPC/i);
    await probes.wiringKeptThroughRemove(/space|ENOSPC/i);
    await probes.answersAndIdles();

    await fs.rm(filler);
    await probes.recovers();
    await writeFigure(probes.tally.figure('5b-full-disk', 'full disk (settings, nix.remove)'));
    expect(probes.tally.failures).toEqual([]);
  });

  it('a log dir that cannot rotate: the error shows, nothing lost, the core lives and idles', async () => {
    const stateDir = path.join(scratch, 'rotate-state');
    const logDir = path.join(stateDir, 'logs');
    const full = Buffer.alloc(5 * 1024 * 1024, '# filler line of an earlier run\n');
    const core = await prepare(stateDir, path.join(scratch, 'rotate-conf'), async () => {
      await fs.mkdir(logDir, { recursive: true, mode: 0o700 });
      for (const source of ['app', 'nix-wiring']) {
        await fs.writeFile(path.join(logDir, `${source}.log`), full, { mode: 0o600 });
        await fs.mkdir(path.join(logDir, `${source}.log.3`));
      }
    });
    const probes = new Probes(core);
    const marker = `soak-marker-${Date.now()}`;
    await probes.run('the failing rotation is reported in the app log, naming the file', async () => {
      expectOk(await probes.ask('nix.plan', { confDir: path.join(scratch, marker) }), 'nix.plan');
      const shown = await pollUntil(async () => ((await appLogMentions(probes, /nix-wiring\.log/)) ? true : undefined), 10_000, 250);
      return shown ? null : 'no warning or error in the app log names nix-wiring.log';
    });
    await probes.run('settings still save', async () => {
      const reply = await probes.ask('settings.set', { patch: { memoryMiB: 832 } });
      if (!reply.ok) return `refused: ${reply.error.message}`;
      core.settingsBytes = await fs.readFile(path.join(stateDir, 'settings.json'));
      return null;
    });
    await probes.settingsKept(832);
    await probes.answersAndIdles();
    await probes.run('new lines still reach the current log file', async () => {
      const reached = await pollUntil(async () => ((await fs.readFile(path.join(logDir, 'nix-wiring.log'), 'utf8')).includes(marker) ? true : undefined), 40_000, 500);
      return reached ? null : `the plan's log line (${marker}) never reached nix-wiring.log`;
    });
    await probes.recovers();
    await writeFigure(probes.tally.figure('5c-log-no-rotate', 'log dir that cannot rotate (app, nix-wiring)'));
    expect(probes.tally.failures).toEqual([]);
  });
});
