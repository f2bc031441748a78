/**
 * How long a unix socket's path may be. macOS's sun_path holds 104 bytes with its terminating
 * NUL (Linux: 108): the smaller bound holds for both. Past it, binding does not fail everywhere:
 * on Linux Node bound the path cut short, a socket in some other directory, so every socket
 * Builder Bar binds is checked first.
 */
export const MAX_SOCKET_PATH_BYTES = 103;

/** Throws, saying what to do, when `socketPath` is too long to bind. `what`: "The CLI socket". */
export function assertSocketPathFits(socketPath: string, what: string): void {
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    throw new Error(`${what} path ${socketPath} is longer than the ${MAX_SOCKET_PATH_BYTES} bytes a unix socket allows. Use a shorter --state-dir.`);
  }
}
