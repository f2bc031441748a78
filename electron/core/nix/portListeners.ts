/**
 * Whether something listens on a local TCP port, found out without connecting to it. A connect
 * probe costs the listener a connection: a builder's sshd forks for each one and logs it as a
 * connection closed before authentication. Reading the kernel's socket table costs it nothing.
 *
 * Linux: /proc/net/tcp and tcp6 (state 0A is LISTEN). macOS: `netstat -an -p tcp`, which lists
 * every user's sockets without root (lsof only shows one's own processes, and nix-darwin's
 * linux-builder runs as root). Where neither answers: whether 127.0.0.1:port can be bound, which
 * is no connection either.
 */
import { promises as fs } from 'node:fs';
import { execa } from 'execa';
import { isPortFree } from '../vm/hostPort.js';

/** The system's socket tables; tests pass recorded ones. */
export interface SocketTables {
  platform: NodeJS.Platform;
  /** The text of /proc/net/tcp and /proc/net/tcp6 (those that exist), or null without /proc. */
  procNetTcp(): Promise<string[] | null>;
  /** `netstat -an -p tcp` output, or null when it did not run. */
  netstat(): Promise<string | null>;
  /** True when 127.0.0.1:port can be bound right now. */
  bindable(port: number): Promise<boolean>;
}

/** Listening sockets on `port` in /proc/net/tcp{,6} text (`0100007F:792E ... 0A`, hex port). */
export function procListeners(tables: string[], port: number): number {
  let count = 0;
  for (const text of tables) {
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      if (!local || fields[3] !== '0A') continue;
      if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port) count += 1;
    }
  }
  return count;
}

/** Listening sockets on `port` in BSD/macOS netstat output (`tcp4 0 0 127.0.0.1.31022 *.* LISTEN`). */
export function netstatListeners(text: string, port: number): number {
  let count = 0;
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (!fields[0]?.startsWith('tcp') || !fields.includes('LISTEN')) continue;
    const local = fields[3] ?? '';
    if (local.endsWith(`.${port}`) || local.endsWith(`:${port}`)) count += 1;
  }
  return count;
}

export async function portListened(port: number, tables: SocketTables = realSocketTables()): Promise<boolean> {
  if (tables.platform === 'linux') {
    const proc = await tables.procNetTcp();
    if (proc) return procListeners(proc, port) > 0;
  } else {
    const netstat = await tables.netstat();
    if (netstat !== null) return netstatListeners(netstat, port) > 0;
  }
  return !(await tables.bindable(port));
}

export function realSocketTables(platform: NodeJS.Platform = process.platform): SocketTables {
  return {
    platform,
    async procNetTcp() {
      const tables = await Promise.all(['/proc/net/tcp', '/proc/net/tcp6'].map((file) => fs.readFile(file, 'utf8').catch(() => null)));
      const found = tables.filter((text): text is string => text !== null);
      return found.length > 0 ? found : null;
    },
    async netstat() {
      const result = await execa('netstat', ['-an', '-p', 'tcp'], { reject: false, timeout: 5_000, stdin: 'ignore' }).catch(() => null);
      return result && result.exitCode === 0 ? String(result.stdout) : null;
    },
    bindable: isPortFree,
  };
}
