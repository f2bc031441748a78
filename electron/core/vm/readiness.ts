/**
 * Is the builder ready? An ordered list of probes, each retried on a short interval within a
 * bounded time and failing with a message that says which step did not pass (the shape of
 * Lima's hostagent requirements). Ready means more than "port open": a real ssh login against
 * the pinned host key, and the guest printing this boot's marker and answering for Nix, so a
 * stale VM or a stale answer never passes.
 */
import net from 'node:net';
import type { KeysShare } from './profile.js';
import { QmpClient } from './qmpClient.js';
import { isAuthRefusal, keysShareVerdict, REFUSALS_BEFORE_VERDICT } from './readinessKeysShare.js';
import { HostKeyMismatchError, SshSession, type SshTarget } from './sshSession.js';

export interface ReadinessTarget {
  isQemuAlive: () => boolean;
  qmpSocket: string;
  ssh: SshTarget;
  readinessCommand: string;
  bootMarker: string;
  /** The share the guest's sshd reads the client key from, when there is one: a refusal it causes fails fast. */
  keysShare?: KeysShare | undefined;
  /**
   * A guest with a control port: settles once the guest went on from its snapshot line (after
   * the host saved it there, on a cold boot). No ssh connection is opened before: one that QEMU
   * queued towards the guest while it was saved would be in the snapshot and reach the restored
   * sshd at every restore, each costing the emulated guest an sshd process. The guest answers at
   * its snapshot line only once sshd listens, so from then on one connection at a time.
   */
  sshAfter?: Promise<void> | undefined;
}

export interface ReadinessOptions {
  signal: AbortSignal;
  /** Every probe together must pass within this time. */
  timeoutMs: number;
  /** Says which probe is pending, for the status line. */
  report: (detail: string) => void;
  /** Pause between attempts of a probe; cheap probes poll fast so ready is seen at once. */
  pollMs?: number;
}

export interface ReadyGuest {
  qmp: QmpClient;
  session: SshSession;
  /** What the readiness command printed after the marker (e.g. `nix (Nix) 2.8.0`). */
  nixVersion: string;
}

export class ReadinessError extends Error {
  constructor(
    /** The probe that did not pass, in words. */
    readonly probe: string,
    message: string,
    readonly hint: string | null,
    /** True when retrying cannot help (a host key mismatch): no automatic restart either. */
    readonly fatal: boolean,
  ) {
    super(message);
    this.name = 'ReadinessError';
  }
}

export class ReadinessCancelled extends Error {
  constructor() {
    super('readiness checking was cancelled');
    this.name = 'ReadinessCancelled';
  }
}

interface Probe<T> {
  name: string;
  detail: string;
  /** An attempt: resolves with the value, or throws to try again (unless the error is fatal). */
  attempt: () => Promise<T>;
  failure: (lastError: string, waitedMs: number) => { message: string; hint: string | null };
}

export async function waitUntilReady(target: ReadinessTarget, options: ReadinessOptions): Promise<ReadyGuest> {
  const deadline = Date.now() + options.timeoutMs;
  const pollMs = options.pollMs ?? 100;
  const port = target.ssh.port;

  const alive = (): void => {
    if (!target.isQemuAlive()) {
      throw new ReadinessError('QEMU running', 'QEMU exited while the builder was starting.', 'The console lines below show how far the boot got.', false);
    }
  };

  const run = async <T>(probe: Probe<T>): Promise<T> => {
    options.report(probe.detail);
    const started = Date.now();
    let lastError = 'no attempt finished';
    for (;;) {
      if (options.signal.aborted) throw new ReadinessCancelled();
      alive();
      try {
        return await probe.attempt();
      } catch (error) {
        if (error instanceof ReadinessError || error instanceof ReadinessCancelled) throw error;
        if (error instanceof HostKeyMismatchError) {
          throw new ReadinessError(
            probe.name,
            `${error.message} The builder was not trusted.`,
            'If you rebuilt the guest or restored keys from a backup, the pinned key is stale: delete the keys folder\'s guest_host_ed25519 files and start again. Otherwise something else answers on this port.',
            true,
          );
        }
        lastError = (error as Error).message;
      }
      if (Date.now() + pollMs > deadline) {
        const { message, hint } = probe.failure(lastError, Date.now() - started);
        throw new ReadinessError(probe.name, message, hint, false);
      }
      await sleep(pollMs, options.signal);
    }
  };

  const qmp = await run<QmpClient>({
    name: 'QMP answers',
    detail: 'waiting for QEMU to answer on its control socket',
    attempt: async () => {
      const client = await QmpClient.connect(target.qmpSocket, 2_000);
      try {
        const status = await client.queryStatus();
        if (['internal-error', 'guest-panicked', 'shutdown'].includes(status.status)) {
          throw new ReadinessError('QMP answers', `QEMU reports the guest as ${status.status}.`, 'The console lines below show what the guest printed.', false);
        }
        if (!status.running) throw new Error(`guest is ${status.status}`);
        return client;
      } catch (error) {
        client.close();
        throw error;
      }
    },
    failure: (last, waited) => ({
      message: `QEMU did not answer on its control socket within ${Math.round(waited / 1000)} s (${last}).`,
      hint: 'The qemu log (Open Logs, source "qemu") says why QEMU is stuck.',
    }),
  });

  // The connection that greeted; the first login attempt runs over it.
  let greeted: net.Socket | null = null;
  const takeGreeted = (): net.Socket | null => {
    const socket = greeted;
    greeted = null;
    return socket;
  };
  try {
    // QEMU's user network accepts on the host port at once, even while the guest has no network
    // yet; such a connection then just hangs, and QEMU keeps retrying it towards the guest, even
    // after we closed it, until the guest takes it: each one reaches sshd later as an empty
    // connection and costs the guest a process (a fork of OpenSSH's sshd, about 0.3 s under TCG).
    // So, until the guest answers at all: few connections, each kept open for the whole window
    // (QEMU's retry of it reaches sshd as soon as it listens, and greets on a connection we still
    // hold), a fresh one every 2 s, rather than short attempts, each of which would be one more
    // empty connection for sshd once it starts. Once the guest has refused a connection (its
    // network is up), a connection no longer hangs: it is refused at once or sshd greets on it,
    // so from then on one connection at a time, waited for as long as the deadline allows.
    let guestNetworkUp = false;
    if (target.sshAfter) {
      const gate = target.sshAfter;
      let went = false;
      const wentOn = (): void => {
        went = true;
      };
      gate.then(wentOn, wentOn);
      await run<void>({
        name: 'guest went on',
        detail: 'waiting for the guest at its snapshot line',
        attempt: async () => {
          await Promise.race([gate.catch(() => undefined), sleep(250, options.signal)]);
          if (!went) throw new Error('the guest has not gone on from its snapshot line');
        },
        failure: (last, waited) => ({
          message: `The guest did not go on from its snapshot line within ${Math.round(waited / 1000)} s (${last}).`,
          hint: 'The console lines below show how far the boot got.',
        }),
      });
      guestNetworkUp = true;
    }
    await run<void>({
      name: 'ssh server greets',
      detail: `waiting for ssh on 127.0.0.1:${port}`,
      attempt: async () => {
        try {
          greeted = guestNetworkUp
            ? (await sshGreeting(port, Math.max(1_000, deadline - Date.now()), options.signal)).socket
            : (await firstSshGreeting(port, { windowMs: 10_000, staggerMs: 2_000, signal: options.signal })).socket;
        } catch (error) {
          if (/closed before|ECONNRESET/.test((error as Error).message)) guestNetworkUp = true;
          throw error;
        }
      },
      failure: (last, waited) => ({
        message: `No ssh server greeted on 127.0.0.1:${port} within ${Math.round(waited / 1000)} s (${last}).`,
        hint: 'The guest may still be booting on a slow (tcg) accelerator, or its ssh server failed: read the console lines.',
      }),
    });

    // A key the guest's sshd refuses again and again, with the guest up, is looked into: when the
    // keys share is the reason (StrictModes and its owner), no later attempt can pass.
    let refusals = 0;
    const session = await run<SshSession>({
      name: 'ssh login',
      detail: `logging in over ssh on 127.0.0.1:${port}`,
      attempt: async () => {
        const socket = takeGreeted();
        try {
          return await SshSession.connect(target.ssh, {
            readyTimeoutMs: Math.max(1_000, Math.min(20_000, deadline - Date.now())),
            signal: options.signal,
            ...(socket ? { socket } : {}),
          });
        } catch (error) {
          refusals = isAuthRefusal(error) ? refusals + 1 : 0;
          if (target.keysShare && refusals >= REFUSALS_BEFORE_VERDICT) {
            const verdict = await keysShareVerdict(target.keysShare);
            if (verdict) throw new ReadinessError('ssh login', verdict.message, verdict.hint, true);
          }
          throw error;
        }
      },
      failure: (last, waited) => ({
        message: `ssh to ${target.ssh.username}@127.0.0.1:${port} did not succeed within ${Math.round(waited / 1000)} s (last error: ${last}).`,
        hint: 'The guest may still be booting on a slow (tcg) accelerator, or its ssh server failed: read the console lines.',
      }),
    });

    try {
      const nixVersion = await run<string>({
        name: 'boot marker and Nix',
        detail: 'checking the boot marker and Nix in the guest',
        attempt: async () => {
          const result = await session.exec(target.readinessCommand, { timeoutMs: 15_000 });
          const lines = result.stdout.split('\n').map((line) => line.trim());
          if (lines[0] !== target.bootMarker) {
            throw new Error(`the guest printed "${(lines[0] ?? '').slice(0, 80)}" instead of this boot's marker`);
          }
          if (result.code !== 0) throw new Error(`Nix did not answer (exit ${result.code}): ${result.stderr.trim().slice(0, 200)}`);
          return lines.slice(1).filter((line) => line !== '').join(' ');
        },
        failure: (last, waited) => ({
          message: `The guest did not confirm this boot and Nix within ${Math.round(waited / 1000)} s (${last}).`,
          hint: 'A marker from another boot means something else answers on this port; a Nix failure is in the console lines.',
        }),
      });
      return { qmp, session, nixVersion };
    } catch (error) {
      session.close();
      throw error;
    }
  } catch (error) {
    takeGreeted()?.destroy();
    qmp.close();
    throw error;
  }
}

/**
 * Opens a connection every `staggerMs` for `windowMs`, each waiting for the ssh greeting for
 * `attemptTimeoutMs` at most (never past the window); the first greeting wins and the other
 * connections are closed.
 */
export function firstSshGreeting(
  port: number,
  options: { windowMs: number; staggerMs: number; attemptTimeoutMs?: number; signal?: AbortSignal },
): Promise<GreetedConnection> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const cancel = new AbortController();
    let pending = 0;
    let finished = false;
    let lastError: Error = new Error(`no greeting within ${options.windowMs} ms`);
    const stop = (): void => {
      clearInterval(interval);
      clearTimeout(windowEnd);
      cancel.abort();
      options.signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      if (finished) return;
      finished = true;
      stop();
      reject(new Error('cancelled'));
    };
    const launch = (): void => {
      const remaining = options.windowMs - (Date.now() - started);
      if (finished || remaining <= 0) {
        clearInterval(interval);
        return;
      }
      pending += 1;
      sshGreeting(port, Math.min(remaining, options.attemptTimeoutMs ?? remaining), cancel.signal).then(
        (greeted) => {
          pending -= 1;
          if (finished) {
            // Another connection greeted first.
            greeted.socket.destroy();
            return;
          }
          finished = true;
          stop();
          resolve(greeted);
        },
        (error: Error) => {
          pending -= 1;
          lastError = error;
          const windowOver = Date.now() - started >= options.windowMs;
          if (!finished && windowOver && pending === 0) {
            finished = true;
            stop();
            reject(lastError);
          }
        },
      );
    };
    const interval = setInterval(launch, options.staggerMs);
    // Attempts that failed fast leave nothing pending at the end of the window: end it here.
    const windowEnd = setTimeout(() => {
      if (!finished && pending === 0) {
        finished = true;
        stop();
        reject(lastError);
      }
    }, options.windowMs + 5);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    launch();
  });
}

/**
 * A connection on which the ssh server has greeted: `socket` is paused with every byte read so
 * far put back, so an ssh client handed the socket reads the server's output from its first
 * byte. Under TCG a new connection costs the guest a process (sshd forks, then re-executes
 * itself) and a few hundred milliseconds: the login reuses this one. Whoever holds it destroys
 * the socket or hands it on.
 */
export interface GreetedConnection {
  line: string;
  socket: net.Socket;
}

/** Resolves once the server on the port sends an ssh identification line (`SSH-2.0-...`). */
export function sshGreeting(port: number, timeoutMs: number, signal?: AbortSignal): Promise<GreetedConnection> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let received = '';
    const timer = setTimeout(() => finish(new Error(`no greeting within ${timeoutMs} ms`)), timeoutMs);
    const onAbort = (): void => finish(new Error('cancelled'));
    signal?.addEventListener('abort', onAbort, { once: true });
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      received += chunk.toString('latin1');
      // RFC 4253: lines before the identification may be other text; the ident starts "SSH-".
      for (const line of received.split(/\r?\n/).slice(0, -1)) {
        if (line.startsWith('SSH-')) {
          finish(null, line);
          return;
        }
      }
      if (received.length > 8_192) finish(new Error('the server sent no ssh identification'));
    };
    const onError = (error: Error): void => finish(error);
    const onClose = (): void => finish(new Error('connection closed before the ssh greeting'));
    function finish(error: Error | null, line?: string): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (error) {
        socket.destroy();
        reject(error);
        return;
      }
      socket.pause();
      socket.unshift(Buffer.concat(chunks));
      // Until the ssh client attaches its own, an error (the guest resetting the connection) must
      // not go unhandled: the login attempt over this socket then fails and the next one connects.
      socket.on('error', () => undefined);
      resolve({ line: line ?? '', socket });
    }
    socket.on('data', onData);
    socket.once('error', onError);
    socket.once('close', onClose);
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
