/**
 * One ssh connection to the guest, with its host key pinned: ssh2's `hostVerifier` compares the
 * exact key blob the guest presents with the pinned one, so a different key is refused during
 * the handshake (before any credential is sent), reported with both fingerprints, and never
 * retried into success. The open connection runs commands for readiness, guest stats and,
 * later, the build queue (the idea of Rancher Desktop's VMExecutor).
 */
import type { Duplex } from 'node:stream';
import { Client } from 'ssh2';
import { CloseSignal } from '../util/closeSignal.js';
import { GuestShell, type ShellChannel } from './guestShell.js';
import { fingerprintOfBlob } from './keyStore.js';

export class HostKeyMismatchError extends Error {
  constructor(
    readonly seenFingerprint: string,
    readonly expectedFingerprint: string,
  ) {
    super(`Host key mismatch: the guest presented ${seenFingerprint}, but ${expectedFingerprint} is pinned.`);
    this.name = 'HostKeyMismatchError';
  }
}

export interface SshTarget {
  host: string;
  port: number;
  username: string;
  privateKey: string;
  pinnedHostKeyBlob: Buffer;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Exit code, or null when the command ended by a signal or the connection dropped. */
  code: number | null;
}

export class SshSession {
  private readonly closeSignal = new CloseSignal();
  /** The shell `run` uses, opened on the first `run` (guestShell.ts says why). */
  private readonly shell = new GuestShell(() => this.openShellChannel());

  private constructor(private readonly client: Client) {
    client.on('close', () => {
      this.shell.close();
      this.closeSignal.close();
    });
    client.on('error', () => {
      // 'close' follows; commands in flight fail on their own channels.
    });
  }

  /**
   * `socket`: a connection already open to the server (readiness hands over the one that
   * greeted, with the greeting put back), used instead of a new one; destroyed on failure.
   */
  static connect(target: SshTarget, options: { readyTimeoutMs?: number; signal?: AbortSignal; socket?: Duplex } = {}): Promise<SshSession> {
    return new Promise((resolve, reject) => {
      const client = new Client();
      let mismatch: HostKeyMismatchError | null = null;
      let settled = false;
      const settle = (error: Error | null): void => {
        if (settled) return;
        settled = true;
        options.signal?.removeEventListener('abort', onAbort);
        if (error) {
          client.end();
          client.destroy();
          options.socket?.destroy();
          reject(error);
        } else {
          client.removeAllListeners('error');
          resolve(new SshSession(client));
        }
      };
      const onAbort = (): void => settle(new Error('ssh connection attempt cancelled'));
      if (options.signal?.aborted) {
        options.socket?.destroy();
        reject(new Error('ssh connection attempt cancelled'));
        return;
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      client.once('ready', () => settle(null));
      client.on('error', (error) => settle(mismatch ?? error));
      client.once('close', () => settle(mismatch ?? new Error('ssh connection closed before it was ready')));
      client.connect({
        ...(options.socket ? { sock: options.socket } : {}),
        host: target.host,
        port: target.port,
        username: target.username,
        privateKey: target.privateKey,
        readyTimeout: options.readyTimeoutMs ?? 20_000,
        keepaliveInterval: 15_000,
        keepaliveCountMax: 3,
        hostVerifier: (key: Buffer) => {
          if (key.equals(target.pinnedHostKeyBlob)) return true;
          mismatch = new HostKeyMismatchError(fingerprintOfBlob(key), fingerprintOfBlob(target.pinnedHostKeyBlob));
          return false;
        },
      });
    });
  }

  get isClosed(): boolean {
    return this.closeSignal.isClosed;
  }

  onClose(listener: () => void): () => void {
    return this.closeSignal.onClose(listener);
  }

  /** Runs one command in the guest's login shell; a timeout closes the channel and rejects. */
  exec(command: string, options: { timeoutMs?: number } = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      if (this.closeSignal.isClosed) {
        reject(new Error('the ssh connection to the builder is closed'));
        return;
      }
      // The timer starts before the channel is asked for: a guest that never opens the channel
      // must time out too, not only one whose command hangs.
      let timedOut = false;
      let openChannel: { close(): void } | null = null;
      const timer = options.timeoutMs
        ? setTimeout(() => {
            timedOut = true;
            openChannel?.close();
            reject(new Error(`the command did not finish within ${options.timeoutMs} ms${openChannel ? '' : ' (the guest did not open a channel)'}`));
          }, options.timeoutMs)
        : null;
      this.client.exec(command, (error, channel) => {
        if (error) {
          if (timer) clearTimeout(timer);
          reject(error);
          return;
        }
        if (timedOut) {
          channel.close();
          return;
        }
        openChannel = channel;
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        let code: number | null = null;
        channel.on('data', (chunk: Buffer) => stdout.push(chunk));
        channel.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
        channel.on('exit', (exitCode: number | null) => {
          code = typeof exitCode === 'number' ? exitCode : null;
        });
        channel.on('close', () => {
          if (timer) clearTimeout(timer);
          resolve({ stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8'), code });
        });
      });
    });
  }

  /**
   * Runs a small command through the connection's one guest shell, after the commands before
   * it: for the core's periodic polls, which an `exec` each would make expensive. Long or
   * streaming commands use `exec`.
   */
  run(command: string, options: { timeoutMs?: number } = {}): Promise<ExecResult> {
    return this.shell.run(command, options);
  }

  private openShellChannel(): Promise<ShellChannel> {
    return new Promise((resolve, reject) => {
      if (this.closeSignal.isClosed) {
        reject(new Error('the ssh connection to the builder is closed'));
        return;
      }
      this.client.exec('sh', (error, channel) => {
        if (error) {
          reject(error);
          return;
        }
        channel.on('error', () => {
          // 'close' follows, and the shell fails the command in flight.
        });
        resolve({
          write: (text) => void channel.write(text),
          onStdout: (listener) => void channel.on('data', listener),
          onStderr: (listener) => void channel.stderr.on('data', listener),
          onClose: (listener) => void channel.once('close', listener),
          close: () => void channel.close(),
        });
      });
    });
  }

  close(): void {
    if (this.closeSignal.isClosed) return;
    this.shell.close();
    this.client.end();
  }
}
