/**
 * The unix socket Nix's `json-log-path` points at (Nix >= 2.30): every Nix process that reads
 * the setting, the nix-daemon's per-client workers included, connects once and writes one JSON
 * record per line (the internal-json format without its `@nix ` prefix; Nix's
 * src/libutil/logging.cc). This module only owns the socket and cuts lines; what they mean is
 * externalBuildStream.ts's business.
 *
 * What Nix does with the path (measured with Nix 2.34.8, see the tests and the report of
 * issue 10), and why this listener is shaped the way it is:
 * - A socket nobody listens on: `connect` is refused at once; the command goes on at full speed
 *   and a `nix` command prints "error (ignored): cannot connect to socket …". So the socket
 *   file stays in place when the core stops (a dead socket), and is never deleted.
 * - No file at the path: Nix creates a regular file there and appends every record to it,
 *   forever. So the socket is bound under a temporary name and renamed into place (a close
 *   unlinks only the temporary name), and a regular file found at the path on start (Nix wrote
 *   it while the socket was missing) is moved aside and reported, never deleted.
 * - A listener that stops reading: Nix's write blocks once the socket buffer is full, and the
 *   build stalls with it. So connections are never paused: lines past the size bound are
 *   dropped and counted, and memory per connection is bounded by that size.
 *
 * The socket is 0600 in a directory only we may write (checked); anything at the path that is
 * not our own socket or a regular file (a link, a directory, someone else's socket) is refused.
 */
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { BuilderBarError } from '../errors.js';
import { assertSocketPathFits } from '../util/unixSocketPath.js';

/** The socket's name in the state dir. */
export const NIX_LOG_SOCKET_FILE = 'nix-log.sock';

export function nixLogSocketPath(stateDir: string): string {
  return path.join(stateDir, NIX_LOG_SOCKET_FILE);
}

export interface LogSocketCounts {
  /** Connections accepted since start (one per Nix process that read the setting). */
  connections: number;
  /** Connections open now. */
  open: number;
  lines: number;
  /** Lines longer than the bound, dropped. */
  oversizedLines: number;
  /** Connections closed at once because too many were open. */
  refusedConnections: number;
}

export interface LogSocketOptions {
  socketPath: string;
  /** One complete line (without its newline) from connection `connection`. */
  onLine: (connection: number, line: string) => void;
  /** The connection ended (the Nix process exited, or we refused it). */
  onClose: (connection: number) => void;
  /** Longest line kept, in UTF-16 units (default 1 MiB). */
  maxLineLength?: number;
  /** Connections open at once (default 512). */
  maxConnections?: number;
  now?: () => number;
}

export interface OpenedLogSocket {
  listener: LogSocketListener;
  /** Where a regular file found at the socket's path went (Nix wrote it while no socket was there). */
  movedAside: string | null;
}

const DEFAULT_MAX_LINE = 1024 * 1024;
const DEFAULT_MAX_CONNECTIONS = 512;

export class LogSocketListener {
  private readonly sockets = new Set<net.Socket>();
  private nextConnection = 1;
  private readonly tally: LogSocketCounts = { connections: 0, open: 0, lines: 0, oversizedLines: 0, refusedConnections: 0 };

  private constructor(
    private readonly server: net.Server,
    private readonly options: LogSocketOptions,
  ) {
    server.on('connection', (socket) => this.accept(socket));
  }

  /** Checks the path, moves a file Nix left there aside, binds and renames the socket into place. */
  static async open(options: LogSocketOptions): Promise<OpenedLogSocket> {
    const socketPath = options.socketPath;
    const dir = path.dirname(socketPath);
    await refuseUnsafeDir(dir);
    // Bound under a short name beside it, then renamed into place: both must fit a socket path.
    const temporary = path.join(dir, `.nls-${randomBytes(4).toString('hex')}`);
    assertSocketPathFits(socketPath, 'The Nix log socket');
    assertSocketPathFits(temporary, 'The Nix log socket');
    const movedAside = await clearPath(socketPath, options.now ?? Date.now);
    const server = net.createServer({ pauseOnConnect: false });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(temporary, () => {
        server.off('error', reject);
        resolve();
      });
    });
    try {
      await fs.chmod(temporary, 0o600);
      await fs.rename(temporary, socketPath);
    } catch (error) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      throw error;
    }
    return { listener: new LogSocketListener(server, options), movedAside };
  }

  counts(): LogSocketCounts {
    return { ...this.tally, open: this.sockets.size };
  }

  /** Stops listening; the socket file stays, so Nix's connects are refused instead of writing a file. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    const maxConnections = this.options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    if (this.sockets.size >= maxConnections) {
      // Nix treats a failed write as "disable the JSON logger" and goes on: nothing stalls.
      this.tally.refusedConnections += 1;
      socket.destroy();
      return;
    }
    const connection = this.nextConnection++;
    this.tally.connections += 1;
    this.sockets.add(socket);
    const maxLine = this.options.maxLineLength ?? DEFAULT_MAX_LINE;
    const decoder = new StringDecoder('utf8');
    let pending = '';
    let skipping = false;
    const take = (text: string): void => {
      let start = 0;
      for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
        const piece = text.slice(start, newline);
        start = newline + 1;
        if (skipping) {
          skipping = false;
          continue;
        }
        const line = pending + piece;
        pending = '';
        if (line.length > maxLine) {
          this.tally.oversizedLines += 1;
          continue;
        }
        this.tally.lines += 1;
        this.options.onLine(connection, line);
      }
      if (skipping) return;
      pending += text.slice(start);
      if (pending.length > maxLine) {
        // Dropped now, not when its newline comes: memory stays bounded whatever Nix sends.
        this.tally.oversizedLines += 1;
        pending = '';
        skipping = true;
      }
    };
    socket.on('data', (chunk: Buffer) => take(decoder.write(chunk)));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      // A record cut off by the end of the connection is handed on as it is: the stream counts it as malformed.
      const rest = pending + decoder.end();
      if (!skipping && rest !== '') {
        this.tally.lines += 1;
        this.options.onLine(connection, rest);
      }
      this.sockets.delete(socket);
      this.options.onClose(connection);
    });
  }
}

/**
 * Leaves a dead socket at the path when nothing is there yet: a Nix that reads json-log-path
 * before the core first runs is then refused (and goes on) instead of writing a log file there.
 * For `nix apply` without a core; a running core's listener is already in place.
 */
export async function placeDeadLogSocket(socketPath: string): Promise<void> {
  const present = await fs.lstat(socketPath).then(
    () => true,
    (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? false : Promise.reject(error)),
  );
  if (present) return;
  const { listener } = await LogSocketListener.open({ socketPath, onLine: () => undefined, onClose: () => undefined });
  await listener.close();
}

/** The socket's directory must be ours and writable by nobody else, so nobody can swap the socket. */
async function refuseUnsafeDir(dir: string): Promise<void> {
  const stat = await fs.lstat(dir);
  const uid = process.getuid?.();
  const problem = !stat.isDirectory()
    ? 'is not a directory'
    : uid !== undefined && stat.uid !== uid
      ? `belongs to uid ${stat.uid}, not to this user`
      : (stat.mode & 0o022) !== 0
        ? `may be written by others (mode ${(stat.mode & 0o777).toString(8)})`
        : null;
  if (problem) {
    throw new BuilderBarError('disk', `The Nix log socket's directory ${dir} ${problem}.`, 'It should be Builder Bar\'s state dir (mode 0700); start Builder Bar with a state dir of its own.');
  }
}

/** Makes room at the socket's path; returns where a file Nix wrote there went. */
async function clearPath(socketPath: string, now: () => number): Promise<string | null> {
  const stat = await fs.lstat(socketPath).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (stat === null) return null;
  const uid = process.getuid?.();
  if (stat.isSocket() && (uid === undefined || stat.uid === uid)) return null; // ours, dead: the rename replaces it
  if (stat.isFile()) {
    const aside = `${socketPath}.written-by-nix-${now()}`;
    await fs.rename(socketPath, aside);
    return aside;
  }
  const what = stat.isSymbolicLink() ? 'a symbolic link' : stat.isDirectory() ? 'a directory' : stat.isSocket() ? `a socket of uid ${stat.uid}` : 'not a socket';
  throw new BuilderBarError(
    'disk',
    `${socketPath} is ${what}, not Builder Bar's Nix log socket; it was left alone and builds started outside Builder Bar will not show in the queue.`,
    `Move ${socketPath} away, then restart Builder Bar.`,
  );
}
