/**
 * Benchmark: start to ready through Builder Bar vs a bare loop.
 *
 * Builder Bar: `core.handle('vm.start', { wait: true })` on a fresh core, timed until the
 * status is `ready` (ssh2 connected with the pinned host key, boot marker and Nix checked).
 * Bare: the very same run script (the image's run-linux-test-vm) with the very same
 * environment (the run-script variables read from the running QEMU's /proc/<pid>/environ, the
 * working directory from its cwd) started by hand, then `ssh ... true` as the guest's user every
 * 100 ms until it succeeds. Runs alternate so both see the same machine load; the ratio of
 * medians is printed (target at most 1.05).
 */
import { readFile, readlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { createCore } from '../core/createCore.js';
import { LINUX_TEST_RUN_SCRIPT } from '../core/vm/guest-image/linuxTestImage.js';
import { CLIENT_KEY_FILE, HOST_KEY_FILE } from '../core/vm/keyStore.js';
import { linuxTestProfile } from '../core/vm/profiles/linuxTest.js';
import { dropSnapshot, snapshotFilesIn } from '../core/vm/snapshot/snapshotStore.js';

/** What nixpkgs' run script reads (profiles/runScriptEnv.ts): all a start hands the script. */
const RUN_SCRIPT_VARIABLES = ['NIX_DISK_IMAGE', 'TMPDIR', 'USE_TMPDIR', 'KEYS', 'QEMU_NET_OPTS', 'QEMU_KERNEL_PARAMS', 'QEMU_OPTS'];

interface RunScriptStart {
  script: string;
  env: Record<string, string>;
  cwd: string;
}

/** How the supervisor started the QEMU running as `pid`: its run script, environment and directory. */
async function runScriptStartOf(pid: number): Promise<RunScriptStart> {
  const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
  const at = argv.indexOf('-kernel');
  const kernel = at >= 0 ? argv[at + 1] : undefined;
  if (!kernel) throw new Error('the running QEMU has no -kernel: not started by the linux-test run script');
  const environ = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
  const env: Record<string, string> = {};
  for (const entry of environ) {
    const at = entry.indexOf('=');
    const name = entry.slice(0, at);
    if (RUN_SCRIPT_VARIABLES.includes(name)) env[name] = entry.slice(at + 1);
  }
  // Bare means no host on the guest's control port: without the port's devices the guest does not
  // wait for a go at its snapshot line, and a bare QEMU waits for no saved state.
  if (env.QEMU_OPTS) env.QEMU_OPTS = withoutControlPort(env.QEMU_OPTS);
  return { script: path.join(path.dirname(kernel), LINUX_TEST_RUN_SCRIPT), env, cwd: await readlink(`/proc/${pid}/cwd`) };
}

export interface StartToReadyResult {
  builderBarMs: number[];
  bareMs: number[];
  ratio: number;
}

export async function benchStartToReady(stateDir: string, rounds: number): Promise<StartToReadyResult> {
  const builderBarMs: number[] = [];
  const bareMs: number[] = [];
  let start: RunScriptStart | null = null;
  let port = 0;
  for (let round = 0; round < rounds; round += 1) {
    // A cold boot each round (the snapshot section measures restores); it saves a snapshot on its way.
    await dropSnapshot(snapshotFilesIn(path.join(stateDir, 'vm')));
    const core = await createCore({ stateDir });
    try {
      const started = performance.now();
      const reply = await core.handle('vm.start', { wait: true, timeoutSeconds: 600 }, 'cli');
      if (reply.state !== 'ready') throw new Error(`the builder did not become ready: ${JSON.stringify(reply.error)}`);
      builderBarMs.push(performance.now() - started);
      port = reply.sshPort ?? 0;
      if (reply.pid === null) throw new Error('ready without a pid');
      start = await runScriptStartOf(reply.pid);
    } finally {
      await core.close({ stopBuilder: true });
    }
    if (!start) throw new Error('no run script start was captured');
    bareMs.push(await bareBoot(stateDir, start, port));
  }
  return { builderBarMs, bareMs, ratio: median(builderBarMs) / median(bareMs) };
}

async function bareBoot(stateDir: string, start: RunScriptStart, port: number): Promise<number> {
  const keys = path.join(stateDir, 'keys');
  const knownHosts = path.join(stateDir, 'bench_known_hosts');
  const hostKey = (await readFile(path.join(keys, `${HOST_KEY_FILE}.pub`), 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
  await writeFile(knownHosts, `[127.0.0.1]:${port} ${hostKey}\n`);
  const started = performance.now();
  const qemu = execa(start.script, [], { env: start.env, extendEnv: true, cwd: start.cwd, stdio: 'ignore', reject: false, detached: false });
  try {
    for (;;) {
      const attempt = await execa('ssh', [
        '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${knownHosts}`,
        '-o', 'ConnectTimeout=2', '-i', path.join(keys, CLIENT_KEY_FILE), '-p', String(port), `${linuxTestProfile.sshUser}@127.0.0.1`, 'true',
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

/** QEMU_OPTS without the control port's devices, the snapshot monitor and a restore's words. */
export function withoutControlPort(qemuOpts: string): string {
  const words = qemuOpts.split(' ');
  const kept: string[] = [];
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i] ?? '';
    const value = words[i + 1] ?? '';
    if (['-chardev', '-device', '-qmp'].includes(word) && /builder-bar-control|builder-bar-serial|vmgenid|qmp-snapshot/.test(value)) {
      i += 1;
    } else if (word === '-incoming') {
      i += 1;
    } else if (word !== '-S') {
      kept.push(word);
    }
  }
  return kept.join(' ');
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
