/**
 * A failed delegated build, said in words. Nix's own messages rarely name the cause (a build
 * that was never routed just says no machine was found), so the stderr patterns users meet
 * most (FACTS.md, pain points) are mapped to a cause and a fix; the raw tail is always kept.
 */
export type BuildFailureCause =
  | 'host-key-mismatch'
  | 'user-not-trusted'
  | 'daemon-not-restarted'
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
  /** True when the target is the system one and the daemon may still hold the old config. */
  systemTarget: boolean;
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
  const unrouted = has(/Failed to find a machine for remote build|a '[^']+' with features \{[^}]*\} is required to build/);
  if (unrouted && context.trusted === false) {
    return {
      cause: 'user-not-trusted',
      message: 'User not trusted: the nix-daemon ignored the builders because your user is not in trusted-users.',
      fix: 'Add your user to trusted-users in /etc/nix/nix.conf and restart the nix-daemon, or use the system target.',
      stderrTail,
    };
  }
  if (has(/a '([^']+)' with features \{[^}]*\} is required to build/) && !has(/Failed to find a machine/)) {
    const wanted = /a '([^']+)' with features/.exec(stderr)?.[1] ?? 'different';
    if (context.systemTarget) {
      return {
        cause: 'daemon-not-restarted',
        message: `Daemon not restarted: Nix built locally instead of on the builder (it wants a '${wanted}' machine and knows none), so the nix-daemon is still running with the configuration from before the wiring.`,
        fix: 'Restart the nix-daemon: sudo launchctl kickstart -k system/org.nixos.nix-daemon',
        stderrTail,
      };
    }
    return {
      cause: 'system-mismatch',
      message: `System mismatch: the build needs a '${wanted}' machine and no configured builder offers that system.`,
      fix: 'Check the systems field of the machines entry against the builder (plan shows it).',
      stderrTail,
    };
  }
  if (has(/Connection refused|Connection reset|Connection closed|Connection timed out|No route to host|Failed to find a machine for remote build|cannot connect to|Broken pipe/i)) {
    return {
      cause: 'builder-not-ready',
      message: 'Builder not ready or unreachable: Nix could not open an ssh session to it.',
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
