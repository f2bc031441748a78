/**
 * Benchmark: start to ready through Builder Bar vs a bare loop.
 *
 * Builder Bar: `core.handle('vm.start', { wait: true })` on a fresh core, timed until the
 * status is `ready` (ssh2 connected with the pinned host key, boot marker and Nix checked).
 * Bare: the very same QEMU argv (read from the running VM's /proc/<pid>/cmdline) started by
 * hand, then `ssh ... true` every 100 ms until it succeeds. Runs alternate so both see the same
 * machine load; the ratio of medians is printed (target at most 1.05).
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { createCore } from '../core/createCore.js';
import { CLIENT_KEY_FILE, HOST_KEY_FILE } from '../core/vm/keyStore.js';

export interface StartToReadyResult {
  builderBarMs: number[];
  bareMs: number[];
  ratio: number;
}

export async function benchStartToReady(stateDir: string, rounds: number): Promise<StartToReadyResult> {
  const builderBarMs: number[] = [];
  const bareMs: number[] = [];
  let argv: string[] | null = null;
  let port = 0;
  for (let round = 0; round < rounds; round += 1) {
    const core = await createCore({ stateDir });
    try {
      const started = performance.now();
      const reply = await core.handle('vm.start', { wait: true, timeoutSeconds: 600 }, 'cli');
      if (reply.state !== 'ready') throw new Error(`the builder did not become ready: ${JSON.stringify(reply.error)}`);
      builderBarMs.push(performance.now() - started);
      port = reply.sshPort ?? 0;
      if (reply.pid === null) throw new Error('ready without a pid');
      argv = (await readFile(`/proc/${reply.pid}/cmdline`, 'utf8')).split('\0').filter((part) => part !== '');
    } finally {
      await core.close({ stopBuilder: true });
    }
    if (!argv) throw new Error('no QEMU command line was captured');
    bareMs.push(await bareBoot(stateDir, argv, port));
  }
  return { builderBarMs, bareMs, ratio: median(builderBarMs) / median(bareMs) };
}

async function bareBoot(stateDir: string, argv: string[], port: number): Promise<number> {
  const keys = path.join(stateDir, 'keys');
  const knownHosts = path.join(stateDir, 'bench_known_hosts');
  const hostKey = (await readFile(path.join(keys, `${HOST_KEY_FILE}.pub`), 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
  await writeFile(knownHosts, `[127.0.0.1]:${port} ${hostKey}\n`);
  const [command, ...args] = argv;
  const started = performance.now();
  const qemu = execa(command!, args, { stdio: 'ignore', reject: false, detached: false });
  try {
    for (;;) {
      const attempt = await execa('ssh', [
        '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${knownHosts}`,
        '-o', 'ConnectTimeout=2', '-i', path.join(keys, CLIENT_KEY_FILE), '-p', String(port), 'root@127.0.0.1', 'true',
      ], { reject: false, stdin: 'ignore' });
      if (attempt.exitCode === 0) return performance.now() - started;
      if (performance.now() - started > 600_000) throw new Error('bare boot did not answer ssh within 600 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    qemu.kill('SIGKILL');
    await qemu;
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
