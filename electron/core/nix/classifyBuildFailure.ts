/**
 * A failed delegated build, said in words. Nix's own messages rarely name the cause (a build
 * that was never routed just says no machine was found), so the stderr patterns users meet
 * most (FACTS.md, pain points) are mapped to a cause and a fix; the raw tail is always kept.
 *
 * Nix's words differ by version (fixtures resources/nix/fixtures/nix-build-{2.8,2.34}-*.stderr):
 * "no builder at all" is `unable to start any build; either increase '--max-jobs' or enable
 * remote builds` or `a 'S' with features {} is required to build` on 2.8, and `Cannot build
 * '…'. Reason: local builds are disabled (max-jobs = 0)` or `Reason: platform mismatch` with no
 * machine list on newer Nix; the machine list writes systems as `x86_64-linux` on 2.8 and
 * `[x86_64-linux]` on newer Nix. `nixBuildWords` below is the one place that knows.
 *
 * With a nix-daemon, who reads the wiring decides between the two causes Nix never names:
 * - the daemon reads it (the system target, /etc/nix): no builder means the daemon still runs
 *   with the nix.conf from before the wiring: daemon not restarted, whatever the trust;
 * - the client reads it (a conf-dir target) and passes its builders to the daemon
 *   (`--builders`): the daemon drops them when it does not trust the user, silently on 2.8,
 *   with "ignoring the client-specified setting 'builders'" on newer Nix: user not trusted.
 */
import { daemonConnectionProblem, daemonConnectionWords, daemonRestartCommand } from './nixDaemonAccess.js';

export type BuildFailureCause =
  | 'host-key-mismatch'
  | 'user-not-trusted'
  | 'daemon-not-restarted'
  | 'daemon-refuses-user'
  | 'daemon-not-answering'
  | 'builder-not-ready'
  | 'system-mismatch'
  | 'unknown';

export interface BuildFailure {
  cause: BuildFailureCause;
  /** What went wrong, in words. */
  message: string;
  fix: string;
  /** The last lines of Nix's stderr, as Nix printed them. */
  stderrTail: string[];
}

export interface ClassifyContext {
  /** From detection: false when the daemon ignores this user's builders. */
  trusted: boolean | null;
  /**
   * True when the nix-daemon reads the wiring itself (the system target) and may still hold
   * the config from before it; false when the client reads it (a conf-dir target).
   */
  systemTarget: boolean;
  /** True when the client passed a conf-dir wiring's builders to a nix-daemon (`--builders`). */
  buildersPassedToDaemon?: boolean;
  /** Which restart command to name (default: this machine's). */
  platform?: NodeJS.Platform;
  /** The user Nix runs as, for the words of a daemon that refuses it. */
  user?: string;
  determinate?: boolean;
}

/** What a version of Nix says when it could use no builder at all, and how it lists machines. */
const nixBuildWords = {
  /** 2.8 with --max-jobs 0; 2.8 for a foreign system; newer Nix for either. */
  noBuilder: [/unable to start any build; either increase '--max-jobs' or enable remote builds/, /a '[^']+' with features \{[^}]*\} is required to build/, /Reason: (?:local builds are disabled \(max-jobs = 0\)|platform mismatch)/],
  /** Printed when machines were configured but none would do; then the cause is the machines, not their absence. */
  machineList: /Failed to find a machine for remote build!/,
  /** 2.8 `(x86_64-linux, )`; newer `(x86_64-linux, [])`. */
  required: /required \(system, features\): \(([^,)]*),/,
  /** 2.8 `(aarch64-linux, 1, , )`; newer `([aarch64-linux, riscv64-linux], 1, [], [])`. */
  available: /^\((\[[^\]]*\]|[^,()]+), \d+, .*\)$/gm,
  /** Newer Nix (2.2x+) says it; 2.8 drops the setting at debug level, saying nothing. */
  untrustedBuilders: /ignoring the client-specified setting 'builders', because it is a restricted setting and you are not a trusted user/,
};

function restartFix(context: ClassifyContext): string {
  const platform = context.platform ?? process.platform;
  return `Restart the nix-daemon so it reads the new nix.conf: ${daemonRestartCommand(platform, context.determinate)}${platform === 'darwin' ? '' : ' (Linux with systemd)'}. Then run builder-bar nix verify again.`;
}

export function classifyBuildFailure(stderr: string, context: ClassifyContext): BuildFailure {
  const stderrTail = stderr.trimEnd().split('\n').slice(-20);
  const has = (pattern: RegExp) => pattern.test(stderr);
  if (has(/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|host key .* (?:mismatch|differs)/i)) {
    return {
      cause: 'host-key-mismatch',
      message: 'Host key mismatch: the builder presented a host key other than the one Builder Bar pinned.',
      fix: 'If the builder was reinstalled, plan and apply the wiring again to pin its new key; otherwise something else answers on the builder port.',
      stderrTail,
    };
  }
  // Nothing reached the daemon at all: neither the builders nor the build.
  const connection = daemonConnectionProblem(stderr);
  if (connection) {
    const words = daemonConnectionWords(connection, context.user ?? 'you', context.platform ?? process.platform, context.determinate ?? false);
    return { cause: connection === 'refuses-user' ? 'daemon-refuses-user' : 'daemon-not-answering', ...words, stderrTail };
  }
  // The daemon took the builders but runs ssh itself, without the client's NIX_SSHOPTS.
  if (context.buildersPassedToDaemon && has(/Could not resolve hostname/)) {
    return {
      cause: 'unknown',
      message: "The nix-daemon took the builders Builder Bar passed, but the daemon runs the build's ssh itself and does not read the config directory's ssh_config (NIX_SSHOPTS is your shell's, not the daemon's), so it cannot find the builder.",
      fix: 'Wire the system target (builder-bar nix apply without --conf-dir): the daemon then reads the ssh settings from /etc/ssh.',
      stderrTail,
    };
  }
  if (has(/cannot build on '[^']*': .*(?:Connection refused|Connection reset|Connection closed|timed out|No route to host|cannot connect)/i)
    || has(/Connection timed out \(verify gave up\)/)) {
    return {
      cause: 'builder-not-ready',
      message: 'Builder not ready or unreachable: Nix could not open an ssh session to it.',
      fix: 'Start the builder (builder-bar start --wait) and try again once its status says ready.',
      stderrTail,
    };
  }
  // Nix lists what it needed and what it had (resources/nix/fixtures/nix-build-*-system-mismatch.stderr).
  const required = nixBuildWords.required.exec(stderr)?.[1]?.trim();
  const available = [...stderr.matchAll(nixBuildWords.available)].map((match) => match[1]!.replace(/^\[|\]$/g, '').split(',').map((system) => system.trim()));
  if (required && available.length > 0 && !available.some((systems) => systems.includes(required))) {
    return {
      cause: 'system-mismatch',
      message: `System mismatch: the build needs a '${required}' machine and the configured builders offer ${available.map((systems) => systems.join(',')).join(' and ')}.`,
      fix: 'Check the systems field of the machines entry against the builder (builder-bar nix plan shows it).',
      stderrTail,
    };
  }
  const noBuilders = has(/0 available machines/) || (nixBuildWords.noBuilder.some(has) && !has(nixBuildWords.machineList));
  if (noBuilders && context.systemTarget) {
    return {
      cause: 'daemon-not-restarted',
      message: 'Daemon not restarted: the wiring is applied, but the nix-daemon knows no builder, so it still runs with the nix.conf from before (builds stay on this machine or fail).',
      fix: restartFix(context),
      stderrTail,
    };
  }
  if (has(nixBuildWords.untrustedBuilders) || (noBuilders && context.trusted === false)) {
    return {
      cause: 'user-not-trusted',
      message: 'User not trusted: the nix-daemon ignored the builders Builder Bar passed, because your user is not in its trusted-users.',
      fix: `Wire the system target instead (builder-bar nix apply without --conf-dir): the daemon reads /etc/nix itself and needs no trust. Or add your user to trusted-users in /etc/nix/nix.conf and restart the daemon: ${daemonRestartCommand(context.platform ?? process.platform, context.determinate)}.`,
      stderrTail,
    };
  }
  if (has(/Failed to find a machine for remote build/)) {
    return {
      cause: 'builder-not-ready',
      message: 'Builder not ready: Nix found the builder in its configuration but could not use it.',
      fix: 'Start the builder (builder-bar start --wait) and try again once its status says ready.',
      stderrTail,
    };
  }
  return {
    cause: 'unknown',
    message: 'The build failed for a reason Builder Bar does not recognise; the last lines of Nix\'s output follow.',
    fix: 'Read the output below; builder-bar logs --source ssh may show more.',
    stderrTail,
  };
}
