/**
 * Proof that Nix uses the builder: a derivation only the builder may build (`--max-jobs 0`
 * forbids local builds), made unique by a nonce so no cache or earlier result can answer it,
 * whose output records the kernel and hostname it ran under. The output must name the guest
 * (`builder-bar`) and differ from this machine. An output this process cannot see (a Nix in a
 * root of its own keeps its store there) is read through Nix (`nix store cat`).
 *
 * Through a nix-daemon (nixDaemonAccess.ts): with the system target the daemon reads the
 * wiring itself; with a conf-dir target the client reads it, and since a daemon never takes
 * `builders` from a client's nix.conf, verify passes them as `--builders @<machines>`, which
 * the daemon uses only when it trusts the user. After a failure there, the daemon is asked
 * whether it trusts the user (Nix >= 2.15: `nix store info`; older: a repair it refuses to an
 * untrusted client), so "user not trusted" and "daemon not restarted" are told apart.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { classifyBuildFailure, type BuildFailure } from './classifyBuildFailure.js';
import { parseTrustAnswer, repairProbeArgs, repairProbeSaysUntrusted, storeChoiceOf, trustQueryArgs } from './nixDaemonAccess.js';
import { environmentNix } from './nixInstallation.js';
import type { TargetLayout } from './wiringTarget.js';

/** The linux-test guest's hostname (resources/guest/rootfs/etc/builder-bar/boot). */
export const GUEST_HOSTNAME = 'builder-bar';

export interface VerifyInput {
  layout: TargetLayout;
  /** The absolute path of the nix-build to run; default: the environment's Nix (nixInstallation.ts). */
  nixBuild?: string;
  /** The builder's Nix system, e.g. `x86_64-linux`. */
  system: string;
  /** A directory for the derivation file (the state dir; nothing under /tmp). */
  workDir: string;
  /** From detection; lets a never-routed build be blamed on trust. */
  trusted: boolean | null;
  /** The hostname the guest reports; null to accept any hostname other than this machine's. */
  expectedHostname: string | null;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The environment Nix runs in; default: the layout's (a conf-dir target's NIX_CONF_DIR, NIX_SSHOPTS). */
  env?: Record<string, string>;
  /** Whether the client talks to a nix-daemon (detection's mode); default: what NIX_REMOTE in `env` says. */
  viaDaemon?: boolean;
  /** Whether the nix-daemon reads the wiring itself; default: the system target's layout does. */
  daemonReadsWiring?: boolean;
  /** The Nix version of `nixBuild` (how to ask the daemon about trust); without it, no asking. */
  nixVersion?: string;
  /** For the restart command the failure names; default: this machine. */
  platform?: NodeJS.Platform;
  determinate?: boolean;
}

export type VerifyResult =
  | { ok: true; outPath: string; guestKernel: string; guestHostname: string; hostHostname: string; seconds: number; message: string }
  | { ok: false; failure: BuildFailure; seconds: number };

/**
 * Builders get no PATH, so only shell builtins: `read` and `echo` of busybox's or bash's sh.
 * The nonce sits in the name, so each verification is a new derivation.
 */
export function verifyDerivation(system: string, nonce: string): string {
  if (!/^[a-z0-9_]+-[a-z0-9_]+$/.test(system)) throw new Error(`Not a Nix system type: ${system}`);
  if (!/^[a-z0-9]+$/.test(nonce)) throw new Error('The nonce must be lowercase letters and digits');
  const script = 'read v < /proc/version; read h < /proc/sys/kernel/hostname; echo "$v" > $out; echo "$h" >> $out';
  return `builtins.derivation {
  name = "builder-bar-verify-${nonce}";
  system = "${system}";
  builder = "/bin/sh";
  args = [ "-c" ${JSON.stringify(script).replace(/\$/g, '\\$')} ];
}
`;
}

export async function verifyWiring(input: VerifyInput): Promise<VerifyResult> {
  const started = Date.now();
  const seconds = () => Math.round((Date.now() - started) / 100) / 10;
  const nonce = randomBytes(8).toString('hex');
  await fs.mkdir(input.workDir, { recursive: true, mode: 0o700 });
  const nixBuild = input.nixBuild ?? (await environmentNix().require()).programs['nix-build'];
  const binDir = path.dirname(nixBuild);
  const env = input.env ?? input.layout.env;
  const viaDaemon = input.viaDaemon ?? storeChoiceOf(env).kind === 'daemon';
  const daemonReadsWiring = input.daemonReadsWiring ?? input.layout.needsAdmin;
  const passBuilders = viaDaemon && !daemonReadsWiring;
  const file = path.join(input.workDir, `verify-${nonce}.nix`);
  await fs.writeFile(file, verifyDerivation(input.system, nonce), { mode: 0o600 });
  try {
    const result = await execa(
      nixBuild,
      // No substituter can hold a fresh nonce's output; asking one would only wait on the
      // network (cache.nixos.org is Nix's default even when the conf dir sets nothing).
      [file, '--max-jobs', '0', '--no-out-link', '--option', 'substituters', '', ...(passBuilders ? ['--builders', `@${input.layout.machines}`] : [])],
      { env, reject: false, timeout: input.timeoutMs ?? 300_000, stdin: 'ignore', cancelSignal: input.signal },
    );
    const stderr = String(result.stderr);
    if (result.exitCode !== 0) {
      const classify = result.timedOut ? `${stderr}\nConnection timed out (verify gave up)` : stderr;
      // The daemon's own word beats what detection read in a nix.conf the daemon may not read.
      const daemonTrust = passBuilders && !result.timedOut && input.nixVersion ? await askDaemonTrust(binDir, input.nixVersion, env, file) : null;
      const trusted = daemonTrust ?? input.trusted;
      const failure = classifyBuildFailure(classify, {
        trusted,
        systemTarget: daemonReadsWiring,
        buildersPassedToDaemon: passBuilders,
        user: os.userInfo().username,
        ...(input.platform ? { platform: input.platform } : {}),
        ...(input.determinate !== undefined ? { determinate: input.determinate } : {}),
      });
      return { ok: false, failure, seconds: seconds() };
    }
    const outPath = String(result.stdout).trim().split('\n').pop() ?? '';
    const [guestKernel = '', guestHostname = ''] = (await readOutput(binDir, env, outPath)).split('\n');
    const hostHostname = os.hostname();
    const hostKernel = await fs.readFile('/proc/version', 'utf8').then((text) => text.trim(), () => null);
    const fromGuest = input.expectedHostname !== null ? guestHostname === input.expectedHostname : guestHostname !== hostHostname;
    if (!fromGuest || (hostKernel !== null && hostKernel === guestKernel && guestHostname === hostHostname)) {
      return {
        ok: false,
        failure: {
          cause: 'unknown',
          message: `The build succeeded but ran on "${guestHostname}", not on the builder: Nix built it somewhere else.`,
          fix: 'Check `builders` in the effective Nix configuration (builder-bar nix plan shows it).',
          stderrTail: stderr.trimEnd().split('\n').slice(-20),
        },
        seconds: seconds(),
      };
    }
    return {
      ok: true,
      outPath,
      guestKernel,
      guestHostname,
      hostHostname,
      seconds: seconds(),
      message: `Nix built ${path.basename(outPath)} on the builder (hostname "${guestHostname}", ${guestKernel.split(' ').slice(0, 3).join(' ')}) in ${seconds()} s.`,
    };
  } finally {
    await fs.rm(file, { force: true });
  }
}

/** The store is readable where it lives; a store this process does not see (another root) is read through Nix. */
async function readOutput(binDir: string, env: Record<string, string>, outPath: string): Promise<string> {
  const direct = await fs.readFile(outPath, 'utf8').catch(() => null);
  if (direct !== null) return direct;
  const output = await execa(path.join(binDir, 'nix'), ['--extra-experimental-features', 'nix-command', 'store', 'cat', outPath], { env, reject: false, timeout: 60_000, stdin: 'ignore' });
  if (output.exitCode !== 0) throw new Error(`Nix built ${outPath} but it cannot be read back: ${String(output.stderr).trim()}`);
  return String(output.stdout);
}

/** True/false when the daemon says (or shows) whether it trusts this client; null when it cannot be told. */
async function askDaemonTrust(binDir: string, version: string, env: Record<string, string>, someFile: string): Promise<boolean | null> {
  const run = (program: string, args: string[]) => execa(path.join(binDir, program), args, { env, reject: false, timeout: 60_000, stdin: 'ignore' });
  const query = trustQueryArgs(version);
  if (query) {
    const answer = await run('nix', query);
    return answer.exitCode === 0 ? parseTrustAnswer(String(answer.stdout)) : null;
  }
  const added = await run('nix-store', ['--add', someFile]);
  if (added.exitCode !== 0) return null;
  const probe = await run('nix-store', repairProbeArgs(String(added.stdout).trim()));
  return repairProbeSaysUntrusted(String(probe.stderr)) ? false : null;
}
