/**
 * One shell in the guest, kept open on the ssh connection, that runs the core's small periodic
 * commands (the guest's stats, the builds others started) one after another.
 *
 * Why not an ssh `exec` each time: every exec opens a channel, asks for the command, and waits
 * for its exit status, end and close, about twenty packets each encrypted or decrypted in
 * JavaScript, and in the guest sshd starts a session and a login shell for it under an emulated
 * CPU. Those polls were most of an idle core's CPU (a CPU profile of `serve` with a ready
 * builder: 100 of 280 ms a minute in ssh2, plus the garbage they left). Through this shell a
 * command is one packet out and one or two back.
 *
 * Each command runs in a subshell (a command substitution) with stdin from /dev/null: it cannot
 * end the shell, change its directory or variables, or read what comes next. Its stdout is
 * captured, its stderr goes to a file the shell made once, and the shell then prints both and the
 * exit status in one `printf`, between end lines that carry a random token: one write, so one
 * ssh packet (a command's output written piece by piece became a packet per piece). Commands
 * wait their turn. A command that outlives its timeout closes the shell (the next command opens a
 * new one), as a channel closed on timeout did.
 */
import { randomBytes } from 'node:crypto';
import type { ExecResult } from './sshSession.js';

/** What the shell runs on: an ssh2 exec channel, or in tests a local `sh`. */
export interface ShellChannel {
  write(text: string): void;
  onStdout(listener: (chunk: Buffer) => void): void;
  onStderr(listener: (chunk: Buffer) => void): void;
  /** Called once when the channel is gone (the shell ended, the connection dropped). */
  onClose(listener: () => void): void;
  close(): void;
}

interface Pending {
  token: string;
  /** What came back so far: stdout, the status line, stderr, the last line. */
  reply: string;
  resolve(result: ExecResult): void;
  reject(error: Error): void;
}

interface OpenShell {
  channel: ShellChannel;
  closed: boolean;
  current: Pending | null;
  /** Random per shell; with `count`, each command's end lines are its own. */
  nonce: string;
  count: number;
}

export class GuestShell {
  private shell: OpenShell | null = null;
  private opening: Promise<OpenShell> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private ended = false;

  /** `open` starts `sh` in the guest (each call a new one). */
  constructor(private readonly open: () => Promise<ShellChannel>) {}

  /** Runs `command` once the commands before it are done; like an ssh exec's result. */
  run(command: string, options: { timeoutMs?: number } = {}): Promise<ExecResult> {
    const turn = this.queue.then(() => this.runNow(command, options.timeoutMs));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Closes the shell; commands still waiting fail. */
  close(): void {
    this.ended = true;
    this.shell?.channel.close();
  }

  private async runNow(command: string, timeoutMs: number | undefined): Promise<ExecResult> {
    if (this.ended) throw new Error('the guest shell is closed');
    const deadline = timeoutMs === undefined ? null : { at: Date.now() + timeoutMs, ms: timeoutMs };
    const shell = await this.withDeadline(this.ready(), deadline, () => undefined);
    // Closed while this command waited for it: nothing written to it could be answered.
    if (shell.closed || this.ended) throw new Error('the guest shell ended before the command started');
    shell.count += 1;
    const token = `${shell.nonce}-${shell.count}`;
    const reply = new Promise<ExecResult>((resolve, reject) => {
      shell.current = { token, reply: '', resolve, reject };
    });
    shell.channel.write(commandScript(command, token));
    // A command that does not finish in time takes its shell with it: the next opens another.
    return this.withDeadline(reply, deadline, () => this.discard(shell));
  }

  private async withDeadline<T>(work: Promise<T>, deadline: { at: number; ms: number } | null, onTimeout: () => void): Promise<T> {
    if (deadline === null) return work;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // Rejected first, so the race reports the timeout and not what closing the shell causes.
        reject(new Error(`the command did not finish within ${deadline.ms} ms`));
        onTimeout();
      }, Math.max(0, deadline.at - Date.now()));
    });
    try {
      return await Promise.race([work, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private ready(): Promise<OpenShell> {
    if (this.shell && !this.shell.closed) return Promise.resolve(this.shell);
    this.opening ??= this.open()
      .then((channel) => {
        const shell: OpenShell = { channel, closed: false, current: null, nonce: randomBytes(12).toString('hex'), count: 0 };
        channel.onStdout((chunk) => this.onStdout(shell, chunk));
        // The shell's own complaints: each command's stderr comes back on stdout.
        channel.onStderr(() => undefined);
        channel.onClose(() => this.discard(shell));
        if (this.ended) {
          channel.close();
          throw new Error('the guest shell is closed');
        }
        channel.write(PREAMBLE);
        this.shell = shell;
        return shell;
      })
      .finally(() => {
        this.opening = null;
      });
    return this.opening;
  }

  /** This shell takes no more commands (ended, or given up on): the next opens another. */
  private discard(shell: OpenShell): void {
    if (this.shell === shell) this.shell = null;
    if (shell.closed) return;
    shell.closed = true;
    const pending = shell.current;
    shell.current = null;
    pending?.reject(new Error('the guest shell ended before the command finished'));
    shell.channel.close();
  }

  private onStdout(shell: OpenShell, chunk: Buffer): void {
    const pending = shell.current;
    if (!pending) return;
    pending.reply += chunk.toString('utf8');
    const mark = endMark(pending.token);
    const status = new RegExp(`\\n${mark}(\\d+)\\n`).exec(pending.reply);
    if (!status) return;
    const stderrFrom = status.index + status[0].length;
    const last = pending.reply.indexOf(`\n${mark}\n`, stderrFrom);
    if (last < 0) return;
    shell.current = null;
    pending.resolve({ stdout: pending.reply.slice(0, status.index), stderr: pending.reply.slice(stderrFrom, last), code: Number(status[1]) });
  }
}

/**
 * Once per shell: the file each command's stderr goes to, removed when the shell ends (also on
 * the hang-up a closed channel sends it).
 */
const PREAMBLE = [
  '__bb_err=$(mktemp) || exit 1',
  `trap 'rm -f "$__bb_err"' EXIT`,
  "trap 'exit 129' HUP",
  "trap 'exit 143' TERM",
  '',
].join('\n');

/**
 * One command: stdout captured with a final `x` (a command substitution drops trailing newlines),
 * stderr read back only when there is some (`[ -s ]` is built in; `cat` is a fork), then all of
 * it in one printf.
 */
function commandScript(command: string, token: string): string {
  const mark = endMark(token);
  return [
    '__bb_out=$( {',
    command,
    `} </dev/null 2>"$__bb_err"; __bb_s=$?; printf x; exit $__bb_s ); __bb_s=$?; __bb_out=\${__bb_out%x}`,
    `__bb_e=; if [ -s "$__bb_err" ]; then __bb_e=$(cat "$__bb_err"; printf x); __bb_e=\${__bb_e%x}; fi`,
    `printf '%s\\n${mark}%s\\n%s\\n${mark}\\n' "$__bb_out" "$__bb_s" "$__bb_e"`,
    '',
  ].join('\n');
}

function endMark(token: string): string {
  return `builder-bar-end-${token}-`;
}
