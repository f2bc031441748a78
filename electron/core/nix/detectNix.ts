/**
 * What Nix is on this machine and what stands in the way of using the builder: the binary and
 * version, daemon or single-user, whether the current user is trusted (otherwise the daemon
 * silently ignores client-side `builders`, Nix issue 2286), Determinate Nix (whose nix.conf we
 * must not write), and builders already configured (another linux-builder on 31022, nix-darwin's
 * `org.nixos.linux-builder`). Each problem comes with a sentence saying how to fix it.
 *
 * Port 31022 is looked at in the kernel's socket table, never by connecting (a connection costs
 * a builder's sshd a fork and a log line), and not at all while our own VM holds it: the
 * supervisor (or, without a core, the boot record) says so, and our builder is no stranger.
 *
 * Which Nix is looked at is nixInstallation.ts's choice (the nixBinDir setting, then
 * BUILDER_BAR_NIX_BIN_DIR, PATH and Nix's profile directories); it is run by its absolute path.
 */
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { execa } from 'execa';
import { clipped, count, firstFew } from './boundedList.js';
import { laterBuilders } from './effectiveBuilders.js';
import { portListened } from './portListeners.js';
import { nixHas } from './nixFeatures.js';
import {
  daemonConnectionProblem,
  daemonConnectionWords,
  daemonRestartCommand,
  DEFAULT_DAEMON_SOCKET,
  parseDaemonVersion,
  parseTrustAnswer,
  storeChoiceOf,
  trustQueryArgs,
  type DaemonConnectionProblem,
} from './nixDaemonAccess.js';
import { describeInstallation, environmentNix, type NixInstallation, type NixResolution } from './nixInstallation.js';
import {
  isTrustedUser,
  machinesFilesOf,
  parseConfigJson,
  parseMachineLines,
  settingString,
  settingWords,
  type MachineEntry,
} from './nixConfigParse.js';

export const DAEMON_SOCKET = DEFAULT_DAEMON_SOCKET;
export const DETERMINATE_CUSTOM_CONF = '/etc/nix/nix.custom.conf';
export const NIX_DARWIN_BUILDER_PLIST = '/Library/LaunchDaemons/org.nixos.linux-builder.plist';
export const LINUX_BUILDER_PORT = 31022;

export type NixProblemCode =
  | 'nix-missing'
  | 'config-unreadable'
  | 'user-not-trusted'
  | 'daemon-refuses-user'
  | 'daemon-not-answering'
  | 'determinate'
  | 'other-builder'
  | 'port-31022-taken'
  | 'nix-darwin-linux-builder'
  | 'nix-differs-from-daemon';

export interface NixProblem {
  code: NixProblemCode;
  /** What is wrong, in words. */
  message: string;
  /** How to fix it (or why it is fine), in words. */
  fix: string;
  /** True when wiring cannot work until it is fixed. */
  blocking: boolean;
}

export interface NixDetection {
  found: boolean;
  binary: string | null;
  version: string | null;
  mode: 'daemon' | 'single-user' | null;
  user: string;
  trustedUsers: string[];
  /**
   * Null when Nix could not be asked. Single-user: true. With a daemon: the daemon's own answer
   * (Nix >= 2.15), else trusted-users in the nix.conf this client reads.
   */
  trusted: boolean | null;
  determinate: boolean;
  /** The effective `builders` setting. */
  builders: string | null;
  machines: MachineEntry[];
  /** Machines that are not ours: the problems name a few, this counts them all. */
  otherBuilders: number;
  problems: NixProblem[];
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The world detection looks at; tests pass recorded answers. */
export interface DetectDeps {
  run(command: string, args: string[], env?: Record<string, string>): Promise<CommandResult | null>;
  exists(file: string): Promise<boolean>;
  readFile(file: string): Promise<string | null>;
  unixSocketAnswers(socketPath: string): Promise<boolean>;
  /** True when something listens on the local TCP port; must not connect to it. */
  portListened(port: number): Promise<boolean>;
  user: string;
  groups(): Promise<string[]>;
  platform: NodeJS.Platform;
  /** The environment Nix inherits (NIX_REMOTE, NIX_DAEMON_SOCKET_PATH); options.env goes over it. */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface DetectOptions {
  /** Extra environment for Nix (a conf-dir target's NIX_CONF_DIR). */
  env?: Record<string, string>;
  /** Our own alias, so our own machines entry is not reported as "another builder". */
  ownAlias?: string;
  /** The port our own VM's ssh forward holds while its QEMU runs: never probed, never "someone else". */
  ownBuilderPort?: number | null;
  /** The Nix to look at; default: this process's environment's (BUILDER_BAR_NIX_BIN_DIR, PATH, profiles). */
  nix?: NixResolution;
}

const NIX_COMMAND = ['--extra-experimental-features', 'nix-command'];

export async function detectNix(deps: DetectDeps = realDetectDeps(), options: DetectOptions = {}): Promise<NixDetection> {
  const problems: NixProblem[] = [];
  const detection: NixDetection = {
    found: false,
    binary: null,
    version: null,
    mode: null,
    user: deps.user,
    trustedUsers: [],
    trusted: null,
    determinate: false,
    builders: null,
    machines: [],
    otherBuilders: 0,
    problems,
  };
  const nix = options.nix ?? (await environmentNix().resolve());
  if (!nix.found) {
    problems.push({ code: 'nix-missing', message: nix.reason, fix: nix.hint, blocking: true });
    return detection;
  }
  const { installation } = nix;
  detection.found = true;
  detection.binary = installation.programs.nix;
  detection.version = installation.version;
  detection.determinate = installation.determinate || (await deps.exists(DETERMINATE_CUSTOM_CONF));
  if (detection.determinate) {
    problems.push({
      code: 'determinate',
      message: 'Determinate Nix manages /etc/nix/nix.conf.',
      fix: `Builder Bar writes its settings to ${DETERMINATE_CUSTOM_CONF} instead and leaves nix.conf alone.`,
      blocking: false,
    });
  }
  // NIX_REMOTE decides; unset, Nix uses the daemon when its socket is there.
  const store = storeChoiceOf({ ...deps.env, ...options.env });
  detection.mode = store.kind === 'daemon' || (store.kind === 'auto' && (await deps.unixSocketAnswers(store.socket))) ? 'daemon' : 'single-user';

  const settings = await readEffectiveConfig(deps, installation.programs.nix, installation.version, options.env);
  if (!settings) {
    problems.push({
      code: 'config-unreadable',
      message: 'Nix did not print its configuration (`nix config show --json`).',
      fix: 'Run `nix --extra-experimental-features nix-command show-config` to see what Nix says.',
      blocking: true,
    });
    return detection;
  }
  detection.trustedUsers = settingWords(settings.get('trusted-users'));
  // Single-user Nix runs builds in the caller's own process: there is no daemon to ignore it.
  // A daemon of Nix >= 2.15 says itself; it may read another nix.conf than the client (or the
  // same one from before an edit, until it restarts).
  const daemon = detection.mode === 'daemon' ? await askDaemon(deps, installation.programs.nix, installation.version, options.env) : null;
  if (daemon?.connection) {
    // Trust is moot: nothing this user asks reaches the daemon at all.
    problems.push({
      code: daemon.connection === 'refuses-user' ? 'daemon-refuses-user' : 'daemon-not-answering',
      ...daemonConnectionWords(daemon.connection, deps.user, deps.platform, detection.determinate),
      blocking: true,
    });
  }
  if (daemon?.version && daemon.version !== installation.version) problems.push(nixDiffersFromDaemon(installation, daemon.version));
  const daemonSays = daemon?.trusted ?? null;
  detection.trusted = detection.mode === 'single-user' || (daemonSays ?? isTrustedUser(detection.trustedUsers, deps.user, await deps.groups()));
  if (!detection.trusted && !daemon?.connection) {
    problems.push({
      code: 'user-not-trusted',
      message:
        daemonSays === false
          ? `The nix-daemon does not trust your user "${deps.user}" (it answered "trusted": false): it silently ignores the builders you pass.`
          : `Your user "${deps.user}" is not in Nix's trusted-users (${detection.trustedUsers.join(' ') || 'empty'}): the nix-daemon silently ignores the builders you pass.`,
      fix: `Add "trusted-users = root ${deps.user}" to /etc/nix/nix.conf${detection.determinate ? ` (Determinate: ${DETERMINATE_CUSTOM_CONF})` : ''} and restart the nix-daemon (${daemonRestartCommand(deps.platform, detection.determinate)}). Wiring the system target does not need it: the daemon reads /etc/nix itself.`,
      blocking: false,
    });
  }
  detection.builders = settingString(settings.get('builders'));
  detection.machines = await readMachines(deps, detection.builders);
  // A builders line Nix reads after nix.conf (the user's config files, NIX_CONFIG) is where these
  // machines come from, and it replaces the line the wiring writes: nothing is added beside them
  // there (planWiring.ts says the same in its note).
  const others = detection.machines.filter((machine) => machine.host !== options.ownAlias);
  detection.otherBuilders = others.length;
  const later = others.length > 0 ? (await laterBuilders({ ...deps.env, ...options.env })).at(-1) : undefined;
  const fix = later
    ? `It comes from ${later.where} line ${later.lineNumber}, which Nix reads after nix.conf: that builders line replaces the one Builder Bar writes, so Nix commands run with it use this builder and not Builder Bar's (see the plan's note for what to change).`
    : 'Builder Bar keeps it: its entry is added beside yours, and Nix spreads builds across both. Remove it yourself if it is an old linux-builder you no longer run.';
  // The first few are named, the rest counted (boundedList.ts): a builders line of thousands of
  // entries must not bury the other problems under thousands of identical notes.
  const { named, more } = firstFew(others);
  for (const machine of named) {
    problems.push({
      code: 'other-builder',
      message: `A builder is already configured: ${clipped(machine.uri)} (${clipped(machine.systems.join(',')) || 'any system'}) from ${clipped(machine.source)}.`,
      fix,
      blocking: false,
    });
  }
  if (more > 0) {
    const sources = [...new Set(others.slice(named.length).map((machine) => machine.source))];
    const { named: someSources, more: moreSources } = firstFew(sources);
    problems.push({
      code: 'other-builder',
      message: `And ${count(more)} more builders are already configured, from ${someSources.map((source) => clipped(source)).join(', ')}${moreSources > 0 ? ` and ${count(moreSources)} more files` : ''}.`,
      fix: `${fix} \`nix config show builders\` (Nix 2.8: \`nix show-config\`) and the machines files it names list them all.`,
      blocking: false,
    });
  }
  if (options.ownBuilderPort !== LINUX_BUILDER_PORT && (await deps.portListened(LINUX_BUILDER_PORT))) {
    problems.push({
      code: 'port-31022-taken',
      message: `Something listens on port ${LINUX_BUILDER_PORT}, the port nixpkgs' and nix-darwin's linux-builder use.`,
      fix: 'Builder Bar does not need that port; if it is an old linux-builder, stop it so two VMs do not compete for memory.',
      blocking: false,
    });
  }
  if (deps.platform === 'darwin' && (await deps.exists(NIX_DARWIN_BUILDER_PLIST))) {
    problems.push({
      code: 'nix-darwin-linux-builder',
      message: "nix-darwin's linux-builder (launchd org.nixos.linux-builder) is installed.",
      fix: 'Builder Bar leaves it alone. Set nix.linux-builder.enable = false in your nix-darwin configuration if Builder Bar replaces it.',
      blocking: false,
    });
  }
  return detection;
}

async function readEffectiveConfig(deps: DetectDeps, nix: string, version: string, env: Record<string, string> | undefined): Promise<Map<string, unknown> | null> {
  // The command this version has first (newer Nix warns about `show-config`), the other as a fallback.
  const configShow = [...NIX_COMMAND, 'config', 'show', '--json'];
  const showConfig = [...NIX_COMMAND, 'show-config', '--json'];
  for (const args of nixHas(version, 'config-show-command') ? [configShow, showConfig] : [showConfig, configShow]) {
    const result = await deps.run(nix, args, env);
    if (!result || result.exitCode !== 0) continue;
    try {
      return parseConfigJson(result.stdout);
    } catch {
      continue;
    }
  }
  return null;
}

/**
 * Asks the daemon itself: whether it trusts this user (Nix >= 2.15, `nix store info --json`), or
 * on an older Nix only whether it talks to this user at all (`nix store ping`).
 */
async function askDaemon(
  deps: DetectDeps,
  nix: string,
  version: string,
  env: Record<string, string> | undefined,
): Promise<{ trusted: boolean | null; connection: DaemonConnectionProblem | null; version: string | null }> {
  const trustArgs = trustQueryArgs(version);
  const result = await deps.run(nix, trustArgs ?? [...NIX_COMMAND, 'store', 'ping'], env);
  if (!result) return { trusted: null, connection: null, version: null };
  if (result.exitCode !== 0) return { trusted: null, connection: daemonConnectionProblem(result.stderr), version: null };
  return trustArgs ? { trusted: parseTrustAnswer(result.stdout), connection: null, version: parseDaemonVersion(result.stdout) } : { trusted: null, connection: null, version: null };
}

/**
 * The Nix Builder Bar runs is not the daemon's (a `nix` from Homebrew or a user profile ahead of
 * the system's on the login shell's PATH): it works, the client speaks the daemon's protocol,
 * but a surprise when a feature depends on the version, so detection says which one runs.
 */
function nixDiffersFromDaemon(installation: NixInstallation, daemonVersion: string): NixProblem {
  const others = installation.shadowed.length > 0 ? ` Also holding a nix, not run: ${installation.shadowed.map((entry) => entry.binDir).join(', ')}.` : '';
  return {
    code: 'nix-differs-from-daemon',
    message: `Builder Bar runs ${describeInstallation(installation)}; the nix-daemon is Nix ${daemonVersion}.${others}`,
    fix: "They work together. To run the daemon's own Nix, set nixBinDir to its directory (a standard install: /nix/var/nix/profiles/default/bin), or put that directory first on your login shell's PATH.",
    blocking: false,
  };
}

async function readMachines(deps: DetectDeps, builders: string): Promise<MachineEntry[]> {
  const entries = parseMachineLines(builders, 'builders setting');
  for (const file of machinesFilesOf(builders)) {
    const text = await deps.readFile(file);
    if (text !== null) entries.push(...parseMachineLines(text, file));
  }
  return entries;
}

export function realDetectDeps(): DetectDeps {
  const user = os.userInfo().username;
  return {
    user,
    platform: process.platform,
    env: process.env,
    async run(command, args, env) {
      try {
        const result = await execa(command, args, { reject: false, timeout: 20_000, env: { ...env }, stdin: 'ignore' });
        if (result.failed && result.exitCode === undefined) return null;
        return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout), stderr: String(result.stderr) };
      } catch {
        return null;
      }
    },
    async exists(file) {
      return fs.access(file).then(() => true, () => false);
    },
    async readFile(file) {
      return fs.readFile(file, 'utf8').catch(() => null);
    },
    unixSocketAnswers: (socketPath) => connects({ path: socketPath }),
    portListened: (port) => portListened(port),
    async groups() {
      const result = await execa('id', ['-Gn'], { reject: false, timeout: 5_000 });
      return result.exitCode === 0 ? String(result.stdout).trim().split(/\s+/) : [];
    },
  };
}

function connects(target: net.NetConnectOpts): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(target);
    const done = (answered: boolean) => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
