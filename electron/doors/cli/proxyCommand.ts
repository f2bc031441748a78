/**
 * `builder-bar proxy`: the ProxyCommand of the wiring's ssh alias when the builder runs on demand.
 * It holds the builder through the core's socket (the core starts it if needed and replies once
 * it is ready; the hold lasts as long as this process), then carries ssh's bytes between
 * stdin/stdout and the builder's port on 127.0.0.1. stdout carries nothing else: every word
 * for a person goes to stderr, which Nix shows when the build cannot go ahead.
 *
 * Trust: on a Mac, root's nix-daemon runs this (the system target). With `--uid` (written by the
 * wiring into the root-owned ssh config) it becomes that user before anything else, so the
 * socket, the state dir and the port the core names are all reached with the user's rights. What
 * root itself runs before that (node and this script) is the wiring's check: see
 * nix/proxyCommandLine.ts. The port is only ever 127.0.0.1's, and ssh still checks the builder's
 * pinned host key from the root-owned known_hosts, so a core that lies cannot point Nix elsewhere.
 */
import { promises as fs } from 'node:fs';
import net from 'node:net';
import type { ErrorInfo } from '../../ipc/contract.js';
import { aborted, type CommandContext } from './cliIo.js';
import { ExitCode } from './exitCodes.js';
import { LineSplitter } from '../socket/lineFraming.js';
import { HoldReplySchema } from '../socket/socketProtocol.js';
import { BuilderBarError } from '../../core/errors.js';
import { connectCoreSocket, CoreNotAcceptingError, NoCoreRunningError } from './socketClient.js';

export interface ProxyStdio {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
}

/** What root does before anything else: become the state dir's owner (process.setuid and friends). */
export interface Identity {
  uid(): number;
  become(uid: number, gid: number): void;
}

const processIdentity: Identity = {
  uid: () => process.getuid?.() ?? -1,
  become(uid, gid) {
    process.setgroups?.([gid]);
    process.setgid?.(gid);
    process.setuid?.(uid);
  },
};

/** The words Nix shows when no core runs: what happened and how to make the next build work. */
export function noCoreProxyMessage(stateDir: string): string {
  return [
    `builder-bar proxy: Builder Bar is not running (no core answers for ${stateDir}), so it cannot start the Linux builder for this build.`,
    'Open Builder Bar (or run "builder-bar serve" in a terminal), then run the build again.',
  ].join('\n');
}

/**
 * A socket the proxy could not use though a core may run (its queue is full, or it is not this
 * user's to reach): not "not running", and not fixed by opening Builder Bar.
 */
export function coreRefusedProxyMessage(refusal: BuilderBarError): string {
  return [`builder-bar proxy: ${refusal.message} So it cannot start the Linux builder for this build.`, `Hint: ${refusal.hint ?? ''}`].join('\n');
}

/** A core that holds its socket but takes no connection. */
export function coreNotAcceptingProxyMessage(socketPath: string): string {
  return coreRefusedProxyMessage(new CoreNotAcceptingError(socketPath));
}

/**
 * Said when ssh (or whoever runs the proxy) ends it with SIGTERM or Ctrl-C before the builder is
 * ready: Nix shows ssh's stderr, and without this line the build would fail with no reason given.
 */
export function stoppedWaitingMessage(stateDir: string): string {
  return [
    'builder-bar proxy: stopped (SIGTERM or Ctrl-C) while waiting for the Linux builder to start, so this build cannot use it.',
    `The builder keeps starting for the next build: "builder-bar --state-dir ${stateDir} status" shows how it is doing.`,
  ].join('\n');
}

export function builderFailedMessage(error: ErrorInfo): string {
  return [`builder-bar proxy: the Linux builder did not start: ${error.message}`, ...(error.hint ? [`Hint: ${error.hint}`] : [])].join('\n');
}

export async function runProxy(context: CommandContext, stdio: ProxyStdio, identity: Identity = processIdentity): Promise<number> {
  const { io, paths } = context;
  const say = (text: string): void => {
    for (const line of text.split('\n')) io.err(line);
  };
  const uid = context.values.uid;
  if (typeof uid === 'number' && identity.uid() === 0) {
    // Become the state dir's owner, and only if it is the user the (root-owned) wiring names.
    const stat = await fs.stat(paths.stateDir).catch(() => null);
    if (stat === null || stat.uid !== uid) {
      say(`builder-bar proxy: ${paths.stateDir} is not a directory of user ${uid}; refusing to connect as root.`);
      return ExitCode.failed;
    }
    identity.become(uid, stat.gid);
  }

  const core = await connectCoreSocket(paths.socketPath).catch((error: unknown) => error as Error);
  if (core instanceof NoCoreRunningError) {
    say(noCoreProxyMessage(paths.stateDir));
    return ExitCode.noCore;
  }
  if (core instanceof BuilderBarError) {
    say(coreRefusedProxyMessage(core));
    return ExitCode.failed;
  }
  if (core instanceof Error) {
    say(`builder-bar proxy: could not reach the Builder Bar core on ${paths.socketPath}: ${core.message}`);
    return ExitCode.failed;
  }
  // Starting the builder takes minutes; SIGTERM (main.ts aborts the signal) ends the wait at once.
  const reply = await Promise.race([holdBuilder(core), aborted(io.signal).then(() => 'stopped' as const)]);
  if (reply === 'stopped') {
    core.destroy();
    say(stoppedWaitingMessage(paths.stateDir));
    return ExitCode.interrupted;
  }
  if (!reply.ok) {
    core.destroy();
    say(reply.error.code === 'connection-lost' ? noCoreProxyMessage(paths.stateDir) : builderFailedMessage(reply.error));
    return reply.error.code === 'connection-lost' ? ExitCode.noCore : ExitCode.failed;
  }
  // The hold lasts while this socket is open; a core that goes away leaves the builder running.
  core.on('error', () => core.destroy());
  try {
    return await carry(reply.sshPort, stdio, io.signal, say);
  } finally {
    core.destroy();
  }
}

type HoldResult = { ok: true; sshPort: number } | { ok: false; error: ErrorInfo | { code: 'connection-lost'; message: string; hint: null } };

/** Sends the hold and reads the one reply line; the builder may take minutes to start. */
function holdBuilder(core: net.Socket): Promise<HoldResult> {
  return new Promise((resolve) => {
    const splitter = new LineSplitter(64 * 1024);
    const lost = (): void => resolve({ ok: false, error: { code: 'connection-lost', message: 'the core closed the connection', hint: null } });
    const onData = (chunk: Buffer): void => {
      for (const line of splitter.push(chunk)) {
        if (line.kind === 'too-long') return lost();
        const parsed = parseReply(line.text);
        if (parsed === null) continue;
        core.off('data', onData);
        core.off('close', lost);
        resolve(parsed);
        return;
      }
    };
    core.on('data', onData);
    core.once('close', lost);
    core.once('error', lost);
    core.write(`${JSON.stringify({ id: 1, hold: 'builder' })}\n`);
  });
}

function parseReply(text: string): HoldResult | null {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof message !== 'object' || message === null) return null;
  if ('fatal' in message) return { ok: false, error: (message as { fatal: ErrorInfo }).fatal };
  if (!('id' in message) || message.id !== 1 || !('reply' in message)) return null;
  const reply = message.reply as { ok?: unknown; value?: unknown; error?: ErrorInfo };
  if (reply.ok !== true) return { ok: false, error: reply.error ?? { code: 'internal', message: 'the core refused', hint: null } };
  const value = HoldReplySchema.safeParse(reply.value);
  if (!value.success) return { ok: false, error: { code: 'internal', message: "the core's reply names no usable port", hint: 'Is the CLI from the same version as the running core?' } };
  return { ok: true, sshPort: value.data.sshPort };
}

/** Copies both ways until the builder's side closes; stdin's end is passed on as a half-close. */
function carry(port: number, stdio: ProxyStdio, signal: AbortSignal, say: (text: string) => void): Promise<number> {
  return new Promise((resolve) => {
    const builder = net.connect({ host: '127.0.0.1', port });
    let done = false;
    const finish = (code: number): void => {
      if (done) return;
      done = true;
      stdio.stdin.unpipe(builder);
      builder.destroy();
      resolve(code);
    };
    builder.once('connect', () => {
      stdio.stdin.pipe(builder);
      builder.pipe(stdio.stdout as NodeJS.WritableStream, { end: false });
    });
    builder.once('error', (error) => {
      say(`builder-bar proxy: the connection to the builder on 127.0.0.1:${port} failed: ${error.message}`);
      finish(ExitCode.failed);
    });
    builder.once('close', () => finish(ExitCode.ok));
    // ssh went away while the builder still talked: nothing is left to carry.
    stdio.stdout.once('error', () => finish(ExitCode.failed));
    signal.addEventListener('abort', () => finish(ExitCode.interrupted), { once: true });
  });
}
