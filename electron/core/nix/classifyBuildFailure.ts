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
  if (has(/cannot build on '[^']*': .*(?:Connection refused|Connection reset|Connection closed|timed out|No route to host|cannot connect)/i)
    || has(/Connection timed out \(verify gave up\)/)) {
    return {
      cause: 'builder-not-ready',
      message: 'Builder not ready or unreachable: Nix could not open an ssh session to it.',
      fix: 'Start the builder (builder-bar start --wait) and try again once its status says ready.',
      stderrTail,
    };
  }
  // Nix 2.8 lists what it needed and what it had (resources/nix/fixtures/nix-build-2.8-*.stderr).
  const required = /required \(system, features\): \(([^,)]*),/.exec(stderr)?.[1]?.trim();
  const available = [...stderr.matchAll(/^\(([^,()]+), \d+, [^)]*\)$/gm)].map((match) => match[1]!.split(','));
  if (required && available.length > 0 && !available.some((systems) => systems.includes(required))) {
    return {
      cause: 'system-mismatch',
      message: `System mismatch: the build needs a '${required}' machine and the configured builders offer ${available.map((systems) => systems.join(',')).join(' and ')}.`,
      fix: 'Check the systems field of the machines entry against the builder (builder-bar nix plan shows it).',
      stderrTail,
    };
  }
  const noBuilders = has(/enable remote builds|0 available machines|a '[^']+' with features \{[^}]*\} is required to build/);
  if (noBuilders && context.trusted === false) {
    return {
      cause: 'user-not-trusted',
      message: 'User not trusted: the nix-daemon ignored the builders because your user is not in trusted-users.',
      fix: 'Add your user to trusted-users in /etc/nix/nix.conf and restart the nix-daemon, or use the system target.',
      stderrTail,
    };
  }
  if (noBuilders && context.systemTarget) {
    return {
      cause: 'daemon-not-restarted',
      message: 'Daemon not restarted: Nix knows no builder, so the nix-daemon is still running with the configuration from before the wiring.',
      fix: 'Restart the nix-daemon: sudo launchctl kickstart -k system/org.nixos.nix-daemon',
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
