/**
 * The socket root's nix-daemon writes its json-log-path records to when the wiring is the
 * system's (/etc/nix): a socket in a place only root may change, made by the system's service
 * manager, which hands each connection to a relay running as the user. The relay copies the
 * records into the core's own socket (`<state>/nix-log.sock`, logSocket.ts).
 *
 * Why not point root's daemon at the core's socket: Nix opens json-log-path following symbolic
 * links, and appends to it when it is not a socket (measured with Nix 2.34.8). The state dir is
 * the user's, so any process of the user could swap the socket for a link and make root append
 * to any file. Here root only ever opens a path in a root-owned directory, and whatever the
 * relay does, it does as the user: it can reach nothing the user cannot.
 *
 * The relay is a system binary (`nc -U <core socket>`), chosen per platform in `relayArguments`.
 * When the core is not running it fails to connect and exits; Nix's writes on that connection
 * then fail and Nix goes on (measured with Nix 2.34.8: builds succeed at full speed and nothing
 * is printed, see systemLogSocket.integration.test.ts).
 *
 * One small interface, `SystemLogSocketActivator`: the plan of the job as data. The launchd
 * implementation (launchdLogSocket.ts, macOS) writes it as a LaunchDaemon plist that the admin
 * step installs and starts as root; in Linux tests a fake launchd (testing/fakeLaunchd.ts)
 * serves the same job in-process.
 */
import { plistTextProblem } from './launchdPlist.js';
import { MAX_SOCKET_PATH_BYTES } from '../util/unixSocketPath.js';

export interface SystemLogSocketSpec {
  /** The user the relay runs as, who owns the socket (so their own `nix` commands may connect too). */
  uid: number;
  userName: string;
  /** The core's socket the relay connects to (`<state dir>/nix-log.sock`). */
  coreSocketPath: string;
}

/** What the service manager runs: the job as data (the launchd plist and the fake both come from this). */
export interface LogRelayJob {
  label: string;
  /** Where root's nix-daemon writes (json-log-path); in a directory only root may change. */
  socketPath: string;
  /** The socket's owner and mode: the user and root may connect, nobody else. */
  socketOwner: number;
  socketMode: number;
  /** The account the relay runs as. */
  userName: string;
  /** The relay, with the connection as its stdin, stdout and stderr (inetd style). */
  programArguments: readonly string[];
}

export interface SystemLogSocketPlan {
  job: LogRelayJob;
  /** The file that declares the job, as root installs it. */
  jobFile: { path: string; content: string; mode: number };
  /** What root runs once the job file is in place, so the socket answers; it must succeed. */
  start: readonly string[];
  /** What root runs to stop it (before a changed job starts again, and on remove); it may fail (not loaded). */
  stop: readonly string[];
}

export interface SystemLogSocketActivator {
  /** Pure: the job, its file and root's commands, from the spec alone. Throws when `logRelaySpecProblem` refuses the spec. */
  plan(spec: SystemLogSocketSpec): SystemLogSocketPlan;
}


/**
 * The relay for this platform, in one place. macOS: its own `/usr/bin/nc`, which shuts its side
 * of the connection to the core when Nix closes (its `-N` is something else: a TCP write
 * timeout that takes a number). Debian (the Linux tests): `nc.openbsd` from netcat-openbsd,
 * whose `-N` asks for that shutdown.
 */
export function relayArguments(coreSocketPath: string, platform: NodeJS.Platform = process.platform): string[] {
  if (platform === 'darwin') return ['/usr/bin/nc', '-U', coreSocketPath];
  return ['/bin/nc.openbsd', '-N', '-U', coreSocketPath];
}

/** Why this spec cannot become a job root installs, or null when it can. Nothing here is ever an option. */
export function logRelaySpecProblem(spec: SystemLogSocketSpec): string | null {
  if (!Number.isSafeInteger(spec.uid) || spec.uid < 0) return `the user id ${String(spec.uid)} is not a user id`;
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,254}$/.test(spec.userName)) {
    return `the account name ${JSON.stringify(spec.userName.slice(0, 80))} is not one launchd can run a job as (letters, digits, "_", ".", "@", "-")`;
  }
  const socket = spec.coreSocketPath;
  // The path is the relay's last argument: it must never read as an option.
  if (socket.startsWith('-')) return 'the state dir\'s socket path starts with "-"';
  if (!socket.startsWith('/')) return 'the state dir\'s socket path is not absolute';
  if (/[\u0000-\u001f\u007f]/.test(socket)) return 'the state dir\'s socket path holds a control character';
  const xml = plistTextProblem(socket);
  if (xml) return `the state dir's socket path cannot be written into the job file (${xml})`;
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH_BYTES) return `the state dir's socket path is longer than a unix socket path may be (${MAX_SOCKET_PATH_BYTES} bytes)`;
  return null;
}
