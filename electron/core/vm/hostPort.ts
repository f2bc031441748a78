/**
 * The host side of the ssh forward: is the port free on 127.0.0.1, and if not, who holds it.
 * "Port 31022 already taken" (another builder, nix-darwin's daemon) is a pain point users
 * report; the answer names the process when the system lets us see it, and with
 * `hostPortAuto` the next free port is used instead (and said so).
 */
import { promises as fs } from 'node:fs';
import net from 'node:net';
import { execa } from 'execa';
import { BuilderBarError } from '../errors.js';

export interface PortHolder {
  pid: number;
  command: string;
}

/** True when a listener can bind 127.0.0.1:port right now. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/** Who listens on the TCP port (any local address), or null when it cannot be told. */
export async function findPortHolder(port: number, platform: NodeJS.Platform = process.platform): Promise<PortHolder | null> {
  try {
    return platform === 'linux' ? await findHolderFromProc(port) : await findHolderWithLsof(port);
  } catch {
    return null;
  }
}

/** Linux: the listening socket's inode from /proc/net/tcp{,6}, then the process with that fd. */
async function findHolderFromProc(port: number): Promise<PortHolder | null> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await fs.readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      const state = fields[3];
      const inode = fields[9];
      if (!local || state !== '0A' || !inode || inode === '0') continue; // 0A = LISTEN
      const localPort = Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
      if (localPort === port) inodes.add(inode);
    }
  }
  if (inodes.size === 0) return null;
  const targets = new Set([...inodes].map((inode) => `socket:[${inode}]`));
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fds = await fs.readdir(`/proc/${entry}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const link = await fs.readlink(`/proc/${entry}/fd/${fd}`).catch(() => '');
      if (targets.has(link)) {
        const command = (await fs.readFile(`/proc/${entry}/comm`, 'utf8').catch(() => 'unknown')).trim();
        return { pid: Number(entry), command };
      }
    }
  }
  return null;
}

/** macOS (and other Unixes): lsof's machine-readable output, `p<pid>` and `c<command>` lines. */
async function findHolderWithLsof(port: number): Promise<PortHolder | null> {
  const result = await execa('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-Fpc'], { reject: false, timeout: 5_000 });
  let pid: number | null = null;
  for (const line of result.stdout.split('\n')) {
    if (line.startsWith('p')) pid = Number(line.slice(1));
    else if (line.startsWith('c') && pid !== null) return { pid, command: line.slice(1) };
  }
  return null;
}

export function describeHolder(port: number, holder: PortHolder | null): string {
  return holder
    ? `Port ${port} on 127.0.0.1 is in use by ${holder.command} (pid ${holder.pid}).`
    : `Port ${port} on 127.0.0.1 is in use by another program (the system did not say which).`;
}

export interface ChosenPort {
  port: number;
  /** Set when the configured port was taken and another was chosen; a sentence for the log. */
  note: string | null;
}

/**
 * The port the builder's ssh forward will use. A taken port is an error naming its holder,
 * unless `auto` allows the next free one (searched upward, at most `searchSpan` ports).
 */
export async function chooseHostPort(
  wanted: number,
  auto: boolean,
  options: { platform?: NodeJS.Platform; searchSpan?: number } = {},
): Promise<ChosenPort> {
  if (await isPortFree(wanted)) return { port: wanted, note: null };
  const holder = await findPortHolder(wanted, options.platform);
  const taken = describeHolder(wanted, holder);
  if (!auto) {
    throw new BuilderBarError(
      'port-in-use',
      taken,
      'Stop that program, choose another host port in Settings, or turn on "pick a free port automatically".',
    );
  }
  const span = options.searchSpan ?? 100;
  for (let port = wanted + 1; port <= Math.min(65535, wanted + span); port++) {
    if (await isPortFree(port)) return { port, note: `${taken} Using port ${port} instead.` };
  }
  throw new BuilderBarError(
    'port-in-use',
    `${taken} No free port found between ${wanted + 1} and ${Math.min(65535, wanted + span)} either.`,
    'Close programs listening on these ports or choose another host port in Settings.',
  );
}
