/**
 * The `json-log-path` line of Builder Bar's nix.conf block: it points every Nix process that
 * reads the file, nix-daemon's workers included, at a socket whose records reach the core's log
 * socket (electron/core/builds/logSocket.ts), so builds started anywhere show in the queue.
 * Remove takes it out with the rest of the marked block.
 *
 * - Only for a Nix that has the setting (>= 2.30, nixFeatures.ts): older ones warn about an
 *   unknown setting on every command, so the line is left out and the queue says why it sees
 *   only its own builds.
 * - A `json-log-path` the user set is never clobbered (our block comes last, and a later line
 *   would win): the block then carries a comment instead, so the plan's diff says so.
 * - A config-directory target is read by the user's own Nix processes, which write as the user:
 *   the line names the core's socket itself.
 * - The system target (/etc/nix) is read by root's nix-daemon, and Nix opens json-log-path as
 *   root following symbolic links, appending when the path is not a socket (checked with Nix
 *   2.34.8). The core's socket lives in a directory the user's account controls, so root must
 *   never be pointed at it: the line names the system log socket instead, a socket in a
 *   root-owned place that the service manager makes and relays, as the user, to the core's
 *   (systemLogSocket.ts, launchdLogSocket.ts). The plan installs that job beside the line
 *   (`systemLogRelay`); when it cannot be set up, the block says why in a comment.
 * - A path nix.conf cannot carry (a `#` starts a comment, Nix folds runs of spaces) or that is
 *   too long for a unix socket gets a comment saying why, never a line that would mean
 *   something else.
 */
import os from 'node:os';
import { nixLogSocketPath, placeDeadLogSocket } from '../builds/logSocket.js';
import { toErrorInfo } from '../errors.js';
import { launchdLogSocketActivator } from './launchdLogSocket.js';
import { nixHas } from './nixFeatures.js';
import type { WiringPlan } from './planWiring.js';
import type { SystemLogSocketActivator, SystemLogSocketPlan } from './systemLogSocket.js';
import { MAX_SOCKET_PATH_BYTES } from '../util/unixSocketPath.js';

export interface JsonLogPathWish {
  /** The core's log socket (`<state dir>/nix-log.sock`). */
  socketPath: string;
  /** The version of the Nix Builder Bar uses, or null when none was found. */
  nixVersion: string | null;
}

/** For root's nix-daemon: the relay's job (whose socket the line names), or why there is none. */
export type SystemLogRelay = { plan: SystemLogSocketPlan } | { problem: string };

/** The account the relay runs as: this process's user. */
export interface RelayAccount {
  uid: number;
  userName: string;
}

export function currentAccount(): RelayAccount {
  const info = os.userInfo();
  return { uid: info.uid, userName: info.username };
}

/** The system log socket's job for this wish: relaying root's records, as `account`, to the wish's core socket. */
export function systemLogRelay(
  wish: JsonLogPathWish,
  activator: SystemLogSocketActivator = launchdLogSocketActivator(),
  account: RelayAccount = currentAccount(),
): SystemLogRelay {
  try {
    return { plan: activator.plan({ ...account, coreSocketPath: wish.socketPath }) };
  } catch (error) {
    return { problem: toErrorInfo(error).message };
  }
}


/** Why nix.conf cannot carry this path as json-log-path, or null when it can. */
export function jsonLogPathProblem(socketPath: string): string | null {
  if (!socketPath.startsWith('/')) return 'it is not an absolute path';
  if (/[\u0000-\u001f\u007f#]/.test(socketPath)) return 'it holds a "#" or a control character, which nix.conf cannot carry';
  if (/\s\s|\s$/.test(socketPath) || /[^\S ]/.test(socketPath)) return 'it holds whitespace nix.conf would fold (a tab, or two spaces in a row)';
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) return `it is longer than a unix socket path may be (${MAX_SOCKET_PATH_BYTES} bytes)`;
  return null;
}

/**
 * The lines for the block, given the `json-log-path` Nix reads outside it (the user's own, from
 * nix.conf or a file it includes; null when unset): the setting, a comment saying why not, or
 * nothing (no wish, or a Nix without the setting). `rootDaemon` is set for the system target:
 * the relay whose socket root's nix-daemon writes to instead of the core's.
 */
export function jsonLogPathLines(theirs: string | null, wish: JsonLogPathWish | null | undefined, rootDaemon: SystemLogRelay | null = null): string[] {
  if (!wish || wish.nixVersion === null || !nixHas(wish.nixVersion, 'json-log-path')) return [];
  const target = rootDaemon && 'plan' in rootDaemon ? rootDaemon.plan.job.socketPath : wish.socketPath;
  if (theirs !== null && theirs !== '') {
    if (theirs === target) return [];
    return [`# json-log-path is set above (${printable(theirs)}) and stays yours: Builder Bar's queue shows only the builds it starts.`];
  }
  if (rootDaemon && 'problem' in rootDaemon) {
    return [`# json-log-path not set: root's nix-daemon may only write to a socket in a root-owned place, and its relay cannot be set up (${printable(rootDaemon.problem)}); the queue shows the builds Builder Bar starts and what runs on its builder.`];
  }
  const problem = jsonLogPathProblem(target);
  if (problem) return [`# json-log-path not set: ${printable(target)} cannot be used (${problem}); the queue shows only Builder Bar's builds.`];
  return [`json-log-path = ${target}`];
}

/** True when nix.conf, as planned, makes Nix write to `socketPath` (our line or the user's own). */
export function pointsAt(nixConfAfter: string, theirs: string | null, socketPath: string): boolean {
  return theirs === socketPath || nixConfAfter.split('\n').includes(`json-log-path = ${socketPath}`);
}

function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 200);
}

/**
 * After an apply without a running core: when the applied nix.conf points json-log-path at the
 * state dir's socket and no socket is there yet, put a dead one in place (see logSocket.ts: a
 * missing path makes Nix write a log file there, forever).
 */
export async function placeLogSocketForPlan(plan: WiringPlan, stateDir: string): Promise<void> {
  const socketPath = nixLogSocketPath(stateDir);
  const wired = plan.files.some((file) => file.role === 'nix.conf' && pointsAt(file.after, null, socketPath));
  if (wired) await placeDeadLogSocket(socketPath);
}
