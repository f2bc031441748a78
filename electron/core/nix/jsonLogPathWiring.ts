/**
 * The `json-log-path` line of Builder Bar's nix.conf block: it points every Nix process that
 * reads the file, nix-daemon's workers included, at the core's log socket
 * (electron/core/builds/logSocket.ts), so builds started anywhere show in the queue. Remove
 * takes it out with the rest of the marked block.
 *
 * - Only for a Nix that has the setting (>= 2.30, nixFeatures.ts): older ones warn about an
 *   unknown setting on every command, so the line is left out and the queue says why it sees
 *   only its own builds.
 * - A `json-log-path` the user set is never clobbered (our block comes last, and a later line
 *   would win): the block then carries a comment instead, so the plan's diff says so.
 * - Never in the system target (/etc/nix, read by root's nix-daemon): Nix opens json-log-path
 *   as root and, when the path is not a socket, creates or appends to it following symbolic
 *   links (checked with Nix 2.34.8). The socket lives in a directory the user's account
 *   controls, so any process of the user could put a link there and make root append to any
 *   file. Until the socket sits in a root-owned place (launchd can make one and hand it to the
 *   core), the block carries a comment saying why, and the queue still shows the builds
 *   Builder Bar starts and what runs on its builder. A conf-dir target is read by the user's
 *   own Nix processes only, which write as the user.
 * - A path nix.conf cannot carry (a `#` starts a comment, Nix folds runs of spaces) or that is
 *   too long for a unix socket gets a comment saying why, never a line that would mean
 *   something else.
 */
import { nixLogSocketPath, placeDeadLogSocket } from '../builds/logSocket.js';
import { nixHas } from './nixFeatures.js';
import type { WiringPlan } from './planWiring.js';

export interface JsonLogPathWish {
  /** The core's log socket (`<state dir>/nix-log.sock`). */
  socketPath: string;
  /** The version of the Nix Builder Bar uses, or null when none was found. */
  nixVersion: string | null;
}

/** macOS's sun_path holds 104 bytes with its terminating NUL (Linux: 108). */
const MAX_SOCKET_PATH_BYTES = 103;

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
 * nothing (no wish, or a Nix without the setting).
 */
export function jsonLogPathLines(theirs: string | null, wish: JsonLogPathWish | null | undefined, readByRootDaemon = false): string[] {
  if (!wish || wish.nixVersion === null || !nixHas(wish.nixVersion, 'json-log-path')) return [];
  if (readByRootDaemon) {
    return [`# json-log-path not set: root's nix-daemon would write to ${printable(wish.socketPath)}, a path your account controls; the queue shows the builds Builder Bar starts and what runs on its builder.`];
  }
  if (theirs !== null && theirs !== '') {
    if (theirs === wish.socketPath) return [];
    return [`# json-log-path is set above (${printable(theirs)}) and stays yours: Builder Bar's queue shows only the builds it starts.`];
  }
  const problem = jsonLogPathProblem(wish.socketPath);
  if (problem) return [`# json-log-path not set: ${printable(wish.socketPath)} cannot be used (${problem}); the queue shows only Builder Bar's builds.`];
  return [`json-log-path = ${wish.socketPath}`];
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
  const wired = plan.files.some((file) => file.role === 'nix.conf' && file.after.split('\n').includes(`json-log-path = ${socketPath}`));
  if (wired) await placeDeadLogSocket(socketPath);
}
