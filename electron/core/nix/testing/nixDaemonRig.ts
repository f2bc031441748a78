/**
 * A real nix-daemon of a TestNix (nixVersions.ts), as on a Mac: its own socket
 * (NIX_DAEMON_SOCKET_PATH) and conf dir (NIX_CONF_DIR), no build users (`build-users-group =`),
 * serving the Nix store of that version (the host's /nix for the host Nix, the root's for a
 * current Nix). A client talks to it through `clientEnv` (NIX_REMOTE=daemon and the socket) or
 * `--store unix://<socket>` (`storeArgs`), with a conf dir of its own that names no builder.
 *
 * The daemon, not the client, reads the machines entry, ssh config, known hosts and key: pass
 * what the wiring prints for a `--conf-dir` target (`targetLayout(...).env`, NIX_CONF_DIR and
 * NIX_SSHOPTS) as `env`; the client never gets NIX_SSHOPTS. That is root's daemon on a Mac,
 * which reads /etc/nix and /etc/ssh itself.
 *
 * `stop()` leaves no process behind: the daemon forks a worker per connection that calls
 * setsid() and outlives it, and a current Nix runs behind a wrapper and bwrap, so every
 * descendant is collected from /proc before anything is killed. Call it in afterAll/finally;
 * `stopAllNixDaemons()` stops every rig this process started.
 *
 *   const rig = await startNixDaemon(nix, { dir, env: layout.env });
 *   await execa(path.join(nix.binDir, 'nix-build'), [...], { env: rig.clientEnv });
 *   ...
 *   await rig.stop();
 */
import { existsSync, promises as fs, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import type { TestNix } from './nixVersions.js';

/** Offline, no build users, no sandbox (FACTS.md sections 2 and 4): what every rig daemon needs. */
export const DAEMON_BASE_CONF = ['build-users-group =', 'sandbox = false', 'substituters =', ''].join('\n');

export interface NixDaemonRigOptions {
  /** A directory the test owns (no whitespace); the socket, the client's conf dir and the daemon's output go below it. */
  dir: string;
  /**
   * The daemon's environment beyond the process's PATH: typically a conf-dir target's env
   * (NIX_CONF_DIR, NIX_SSHOPTS). Without NIX_CONF_DIR the daemon gets `<dir>/daemon-conf`.
   * A conf dir without nix.conf gets DAEMON_BASE_CONF; one with a nix.conf is used as it is.
   */
  env?: Record<string, string>;
  /** Extra nix.conf lines of the client's own conf dir (e.g. `builders = ...`, which a daemon that distrusts the client ignores). */
  clientConf?: string;
}

export interface NixDaemonRig {
  nix: TestNix;
  socket: string;
  /** The conf dir the daemon reads. */
  confDir: string;
  /** The client's own conf dir: no builder, nothing of the wiring. */
  clientConfDir: string;
  /** The environment a client runs in: NIX_REMOTE=daemon, the socket, its own conf dir and caches. */
  clientEnv: Record<string, string>;
  /** The same store as a command-line option, for a client without NIX_REMOTE. */
  storeArgs: string[];
  /** The environment the daemon runs in (for assertions). */
  daemonEnv: Record<string, string>;
  /** Everything the daemon printed since it (re)started. */
  output(): string;
  /** The daemon's process and every process below it now (workers, builds, ssh); empty when stopped. */
  processes(): number[];
  /** Stops the daemon and starts it again: it reads its nix.conf anew, as `launchctl kickstart -k` does. */
  restart(): Promise<void>;
  /** Stops the daemon and every process it started; idempotent. */
  stop(): Promise<void>;
}

const running = new Set<NixDaemonRig>();

/** Stops every rig this process started (a safety net for afterAll). */
export async function stopAllNixDaemons(): Promise<void> {
  await Promise.all([...running].map((rig) => rig.stop()));
}

export async function startNixDaemon(nix: TestNix, options: NixDaemonRigOptions): Promise<NixDaemonRig> {
  if (/\s/.test(options.dir)) throw new Error(`the rig dir "${options.dir}" contains whitespace; NIX_SSHOPTS and machines lines cannot hold it`);
  const daemonDir = path.join(options.dir, 'nix-daemon');
  const socket = path.join(daemonDir, 'socket');
  const clientConfDir = path.join(options.dir, 'client-conf');
  await fs.mkdir(daemonDir, { recursive: true });
  await fs.mkdir(clientConfDir, { recursive: true });
  const confDir = options.env?.NIX_CONF_DIR ?? path.join(options.dir, 'daemon-conf');
  await fs.mkdir(confDir, { recursive: true });
  if (!existsSync(path.join(confDir, 'nix.conf'))) await fs.writeFile(path.join(confDir, 'nix.conf'), DAEMON_BASE_CONF);
  // Nothing the client's own Nix would send to the daemon beyond what the test asks for.
  await fs.writeFile(path.join(clientConfDir, 'nix.conf'), `# the client's own configuration (nixDaemonRig.ts)\n${options.clientConf ?? ''}`);

  const daemonEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: path.join(daemonDir, 'home'),
    XDG_CACHE_HOME: path.join(daemonDir, 'cache'),
    ...options.env,
    NIX_CONF_DIR: confDir,
    NIX_DAEMON_SOCKET_PATH: socket,
  };
  const clientEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: path.join(options.dir, 'client-home'),
    XDG_CACHE_HOME: path.join(options.dir, 'client-cache'),
    NIX_CONF_DIR: clientConfDir,
    NIX_REMOTE: 'daemon',
    NIX_DAEMON_SOCKET_PATH: socket,
  };
  await fs.mkdir(daemonEnv.HOME!, { recursive: true });
  await fs.mkdir(clientEnv.HOME!, { recursive: true });

  let daemon: ResultPromise | null = null;
  let printed = '';
  let stopped = false;

  const start = async (): Promise<void> => {
    await fs.rm(socket, { force: true });
    printed = '';
    const child = execa(path.join(nix.binDir, 'nix-daemon'), [], { cwd: options.dir, env: daemonEnv, extendEnv: false, stdin: 'ignore', reject: false, all: true, buffer: false });
    child.all?.on('data', (chunk: Buffer) => {
      printed += chunk.toString('utf8');
    });
    daemon = child;
    const startedAt = Date.now();
    // A hang guard, not a speed target: the current Nix's first start unpacks nothing, but a busy machine is slow.
    while (!existsSync(socket)) {
      if (child.exitCode !== null && child.exitCode !== undefined) throw new Error(`nix-daemon of ${nix.label} exited with ${child.exitCode} before it listened:\n${printed}`);
      if (Date.now() - startedAt > 60_000) throw new Error(`nix-daemon of ${nix.label} did not create ${socket} within 60 s:\n${printed}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const kill = async (): Promise<void> => {
    const child = daemon;
    daemon = null;
    if (!child?.pid) return;
    const family = descendantsOf(child.pid);
    child.kill('SIGTERM');
    // Wait for the process, not the promise: workers inherited its output pipes and keep them open.
    for (let i = 0; i < 200 && alive(child.pid); i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    if (alive(child.pid)) child.kill('SIGKILL');
    // Workers called setsid() and were reparented when the daemon went: kill what is left of the family.
    for (const pid of new Set([...family, ...descendantsOf(child.pid)])) signal(pid, 'SIGKILL');
    await child.catch(() => undefined);
    for (let i = 0; i < 100 && family.some(alive); i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
  };

  const rig: NixDaemonRig = {
    nix,
    socket,
    confDir,
    clientConfDir,
    clientEnv,
    storeArgs: ['--store', `unix://${socket}`],
    daemonEnv,
    output: () => printed,
    processes: () => {
      const pid = daemon?.pid;
      return pid ? [pid, ...descendantsOf(pid)] : [];
    },
    async restart() {
      if (stopped) throw new Error('the rig was stopped');
      await kill();
      await start();
    },
    async stop() {
      stopped = true;
      running.delete(rig);
      await kill();
    },
  };
  running.add(rig);
  try {
    await start();
  } catch (error) {
    await rig.stop();
    throw error;
  }
  return rig;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

function alive(pid: number): boolean {
  try {
    // A zombie nobody reaps (this container's pid 1 does not) has stopped running all the same.
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Every live process below `root` in the process tree, the root excluded (Linux /proc). */
export function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}
