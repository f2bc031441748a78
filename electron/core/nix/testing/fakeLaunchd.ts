/**
 * launchd standing in on Linux, for the system log socket's job (systemLogSocket.ts): what
 * launchd does with a LaunchDaemon of the shape launchdLogSocket.ts writes, and nothing more.
 *
 * - `bootstrap(job)`: listen on `job.socketPath` (under `root`, which stands for `/`), with the
 *   socket's owner and mode set as `SockPathOwner`/`SockPathMode` say. Like launchd it creates
 *   the socket, not a missing directory.
 * - Each connection (`inetdCompatibility`, `Wait` false): accepted, then the job's
 *   ProgramArguments start as `UserName` with the connection as stdin, stdout and stderr, as
 *   launchd's inetd compatibility does (podman's mac helper documents the same); the connection
 *   is never read here, so all of it reaches the relay.
 * - `bootout(label)`: stop listening, stop the relays still running, take the socket away.
 *
 * Relays are started through execa with argument arrays; only the processes started here are
 * ever signalled, by their pid.
 */
import { constants as fsConstants, promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import type { LogRelayJob } from '../systemLogSocket.js';

export interface FakeLaunchdOptions {
  /** A directory standing for `/`: the job's socket path is taken below it. */
  root: string;
}

interface Loaded {
  job: LogRelayJob;
  server: net.Server;
  socketPath: string;
  relays: Set<ResultPromise>;
  /** Exit codes of relays that ended, in order. */
  exits: Array<number | null>;
}

export class FakeLaunchd {
  private readonly jobs = new Map<string, Loaded>();

  constructor(private readonly options: FakeLaunchdOptions) {}

  /** Where the job's socket is on this machine. */
  socketPathOf(job: LogRelayJob): string {
    return path.join(this.options.root, job.socketPath);
  }

  async bootstrap(job: LogRelayJob): Promise<void> {
    if (this.jobs.has(job.label)) throw new Error(`${job.label}: service already loaded`);
    const socketPath = this.socketPathOf(job);
    const dir = await fs.stat(path.dirname(socketPath)).catch(() => null);
    if (!dir?.isDirectory()) throw new Error(`${job.label}: ${path.dirname(socketPath)} does not exist; launchd makes the socket, not its directory`);
    // launchd replaces a stale socket at the path; anything else at it is a test's mistake.
    const stale = await fs.lstat(socketPath).catch(() => null);
    if (stale && !stale.isSocket()) throw new Error(`${socketPath} exists and is not a socket`);
    if (stale) await fs.rm(socketPath);
    const program = job.programArguments[0] ?? '';
    await fs.access(program, fsConstants.X_OK).catch(() => {
      throw new Error(`${job.label}: ${program} is not there to run (on Debian: apt-get install netcat-openbsd; resources/setup/ensure-host-tools.mjs does it)`);
    });
    const user = await accountIds(job.userName);
    const loaded: Loaded = { job, server: net.createServer({ pauseOnConnect: true }), socketPath, relays: new Set(), exits: [] };
    loaded.server.on('connection', (connection) => this.accept(loaded, connection, user));
    await new Promise<void>((resolve, reject) => {
      loaded.server.once('error', reject);
      loaded.server.listen(socketPath, () => resolve());
    });
    await fs.chmod(socketPath, job.socketMode);
    if (process.getuid?.() === 0) await fs.chown(socketPath, job.socketOwner, user.gid);
    this.jobs.set(job.label, loaded);
  }

  /** Relays running now for the job. */
  running(label: string): number {
    return this.jobs.get(label)?.relays.size ?? 0;
  }

  /** How each relay of the job ended so far (exit codes, in order). */
  exits(label: string): Array<number | null> {
    return [...(this.jobs.get(label)?.exits ?? [])];
  }

  async bootout(label: string): Promise<void> {
    const loaded = this.jobs.get(label);
    if (!loaded) return;
    this.jobs.delete(label);
    await new Promise<void>((resolve) => loaded.server.close(() => resolve()));
    for (const relay of loaded.relays) relay.kill('SIGTERM');
    await Promise.all([...loaded.relays]);
    await fs.rm(loaded.socketPath, { force: true });
  }

  async bootoutAll(): Promise<void> {
    for (const label of [...this.jobs.keys()]) await this.bootout(label);
  }

  private accept(loaded: Loaded, connection: net.Socket, user: { uid: number; gid: number }): void {
    const [program, ...args] = loaded.job.programArguments;
    const asUser = user.uid === process.getuid?.() ? {} : { uid: user.uid, gid: user.gid };
    const relay = execa(program!, args, { stdin: connection, stdout: connection, stderr: connection, reject: false, buffer: false, ...asUser });
    // The relay holds the connection now; this process's copy goes, so the relay's exit ends it.
    connection.destroy();
    loaded.relays.add(relay);
    const ended = (exitCode: number | null): void => {
      loaded.exits.push(exitCode);
      loaded.relays.delete(relay);
    };
    // reject: false, so a failed start is a result too; the second handler only satisfies the type.
    relay.then(
      (result) => ended(typeof result.exitCode === 'number' ? result.exitCode : null),
      () => ended(null),
    );
  }
}

/** The account's uid and primary gid, as launchd looks up UserName. */
async function accountIds(userName: string): Promise<{ uid: number; gid: number }> {
  const uid = await execa('id', ['-u', '--', userName]);
  const gid = await execa('id', ['-g', '--', userName]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}
