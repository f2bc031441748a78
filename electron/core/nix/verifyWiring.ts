/**
 * Proof that Nix uses the builder: a derivation only the builder may build (`--max-jobs 0`
 * forbids local builds), made unique by a nonce so no cache or earlier result can answer it,
 * whose output records the kernel and hostname it ran under. The output must name the guest
 * (`builder-bar`) and differ from this machine.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { classifyBuildFailure, type BuildFailure } from './classifyBuildFailure.js';
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
  const file = path.join(input.workDir, `verify-${nonce}.nix`);
  await fs.writeFile(file, verifyDerivation(input.system, nonce), { mode: 0o600 });
  try {
    const result = await execa(
      nixBuild,
      // No substituter can hold a fresh nonce's output; asking one would only wait on the
      // network (cache.nixos.org is Nix's default even when the conf dir sets nothing).
      [file, '--max-jobs', '0', '--no-out-link', '--option', 'substituters', ''],
      { env: input.layout.env, reject: false, timeout: input.timeoutMs ?? 300_000, stdin: 'ignore', cancelSignal: input.signal },
    );
    const stderr = String(result.stderr);
    if (result.exitCode !== 0) {
      const classify = result.timedOut ? `${stderr}\nConnection timed out (verify gave up)` : stderr;
      return { ok: false, failure: classifyBuildFailure(classify, { trusted: input.trusted, systemTarget: input.layout.needsAdmin }), seconds: seconds() };
    }
    const outPath = String(result.stdout).trim().split('\n').pop() ?? '';
    const [guestKernel = '', guestHostname = ''] = (await fs.readFile(outPath, 'utf8')).split('\n');
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
