/**
 * The commands that talk to a running core over its socket: status, start, stop, restart,
 * logs and settings. Each is a thin translation from the command line to one contract request
 * (plus events for `start --wait` and `logs --follow`) and from the reply to text.
 */
import type { LogLine, Settings, Status } from '../../ipc/contract.js';
import { aborted, exitCodeFor, noCoreMessage, printError, type CommandContext } from './cliIo.js';
import { ExitCode } from './exitCodes.js';
import { formatLogLine } from './formatLogs.js';
import { detailOf, formatNixInUse, formatStatus, formatVmError, formatHostTools, formatSettingsNotices } from './formatStatus.js';
import { flattenSettings, settingAt, SettingsArgumentError, settingsPatchFrom } from './settingsArguments.js';
import { toErrorInfo } from '../../core/errors.js';
import { ConnectionLostError, CoreClient, CoreNotAcceptingError, NoCoreRunningError, SocketNotPermittedError } from './socketClient.js';
import { ABANDONED, untilAbandoned } from './untilAbandoned.js';

export type ClientCommand = (context: CommandContext, client: CoreClient) => Promise<number>;

/** Connects to the state dir's core, runs the command, and turns "nobody there" into exit 3. */
export async function withCore(context: CommandContext, command: ClientCommand): Promise<number> {
  let client: CoreClient;
  try {
    client = await CoreClient.connect(context.paths.socketPath);
  } catch (error) {
    if (error instanceof NoCoreRunningError) {
      context.io.err(noCoreMessage(context.paths.stateDir));
      return ExitCode.noCore;
    }
    if (error instanceof CoreNotAcceptingError || error instanceof SocketNotPermittedError) {
      printError(context.io, toErrorInfo(error));
      return ExitCode.failed;
    }
    throw error;
  }
  try {
    const outcome = await untilAbandoned(context.io, context.paths, client, () => command(context, client));
    return outcome === ABANDONED ? ExitCode.interrupted : outcome;
  } catch (error) {
    if (error instanceof ConnectionLostError) {
      context.io.err(error.message);
      return ExitCode.failed;
    }
    throw error;
  } finally {
    client.close();
  }
}

export const status: ClientCommand = async ({ io, values }, client) => {
  const reply = await client.request('status.get', {});
  if (!reply.ok) {
    printError(io, reply.error);
    return exitCodeFor(reply.error);
  }
  // --json stays the contract's Status; the Nix in use is app info (`builder-bar status` shows both).
  if (values.json === true) {
    io.out(JSON.stringify(reply.value, null, 2));
    return ExitCode.ok;
  }
  for (const line of formatStatus(reply.value)) io.out(line);
  const info = await client.request('app.info', {});
  if (info.ok) {
    const { nix, hostTools, settingsNotices } = info.value;
    for (const line of [...formatNixInUse(nix), ...formatHostTools(hostTools), ...formatSettingsNotices(settingsNotices)]) io.out(line);
  }
  return ExitCode.ok;
};

function describeState(status: Status): string {
  if (status.state === 'ready') return `Builder is ready${status.sshPort !== null ? `: ssh on 127.0.0.1:${status.sshPort}` : ''}.`;
  return `Builder is ${status.state}${detailOf(status) ? ` (${detailOf(status)})` : ''}.`;
}

export const start: ClientCommand = async (context, client) => {
  const { io, values } = context;
  if (values.wait !== true) {
    const reply = await client.request('vm.start', {});
    if (!reply.ok) {
      printError(io, reply.error);
      return exitCodeFor(reply.error);
    }
    io.out(describeState(reply.value));
    return ExitCode.ok;
  }

  let lastProgress = '';
  const showProgress = (status: Status): void => {
    const line = `${status.state}${detailOf(status) ? `: ${detailOf(status)}` : ''}`;
    if (line !== lastProgress) io.out(line);
    lastProgress = line;
  };
  await client.subscribe(['status'], (event) => {
    if (event.name === 'status') showProgress(event.payload);
  });
  const timeoutSeconds = typeof values.timeout === 'number' ? values.timeout : undefined;
  const request = client.request('vm.start', { wait: true, ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}) });
  const outcome = await Promise.race([
    request.then((reply) => ({ kind: 'reply' as const, reply })),
    aborted(io.signal).then(() => ({ kind: 'interrupted' as const })),
  ]);
  if (outcome.kind === 'interrupted') {
    io.err('Stopped waiting. The builder keeps starting: "builder-bar status" shows it, "builder-bar stop" stops it.');
    return ExitCode.interrupted;
  }
  const { reply } = outcome;
  if (reply.ok && reply.value.state === 'ready') {
    io.out(describeState(reply.value));
    return ExitCode.ok;
  }
  if (!reply.ok) printError(io, reply.error);
  else io.err(`The builder did not become ready: it is ${reply.value.state}.`);
  // The error reply says what went wrong; the status holds the console lines that explain why.
  const latest = await client.request('status.get', {});
  const vmError = latest.ok ? latest.value.error : reply.ok ? reply.value.error : null;
  if (vmError) for (const line of formatVmError(vmError)) io.err(line);
  return reply.ok ? ExitCode.failed : exitCodeFor(reply.error);
};

export const stop: ClientCommand = async ({ io, values }, client) => {
  const reply = await client.request('vm.stop', { force: values.force === true });
  if (!reply.ok) {
    printError(io, reply.error);
    return exitCodeFor(reply.error);
  }
  io.out(reply.value.state === 'stopped' ? 'Builder stopped.' : describeState(reply.value));
  return ExitCode.ok;
};

export const restart: ClientCommand = async ({ io }, client) => {
  const reply = await client.request('vm.restart', {});
  if (!reply.ok) {
    printError(io, reply.error);
    return exitCodeFor(reply.error);
  }
  io.out(describeState(reply.value));
  return ExitCode.ok;
};

export const logs: ClientCommand = async ({ io, values }, client) => {
  const source = typeof values.source === 'string' ? (values.source as LogLine['source']) : undefined;
  const lines = typeof values.lines === 'number' ? values.lines : 50;
  const follow = values.follow === true;

  // When following, subscribe before asking for the tail so no line falls between the two;
  // lines that arrive in both are told apart by their sequence number.
  let lastSeq = -1;
  let early: LogLine[] | null = [];
  const print = (line: LogLine): void => {
    if (line.seq <= lastSeq || (source && line.source !== source)) return;
    lastSeq = line.seq;
    io.out(formatLogLine(line));
  };
  let connectionLost: Promise<Error> | null = null;
  if (follow) {
    connectionLost = new Promise((resolve) => client.onClose(resolve));
    await client.subscribe(['logs'], (event) => {
      if (event.name !== 'logs') return;
      if (early) early.push(...event.payload.lines);
      else for (const line of event.payload.lines) print(line);
    });
  }
  const reply = await client.request('logs.tail', { ...(source ? { source } : {}), lines });
  if (!reply.ok) {
    printError(io, reply.error);
    return exitCodeFor(reply.error);
  }
  for (const line of reply.value.lines) print(line);
  const pending = early;
  early = null;
  for (const line of pending) print(line);
  if (!connectionLost) return ExitCode.ok;

  const ended = await Promise.race([aborted(io.signal).then(() => 'interrupted' as const), connectionLost.then(() => 'lost' as const)]);
  if (ended === 'lost') {
    io.err('The Builder Bar core stopped; no more lines will come.');
    return ExitCode.failed;
  }
  return ExitCode.interrupted;
};

export const settingsGet: ClientCommand = async ({ io, values, operands }, client) => {
  const reply = await client.request('settings.get', {});
  if (!reply.ok) {
    printError(io, reply.error);
    return exitCodeFor(reply.error);
  }
  const settings: Settings = reply.value;
  const key = operands[0];
  if (key === undefined) {
    if (values.json === true) io.out(JSON.stringify(settings, null, 2));
    else for (const [name, value] of flattenSettings(settings)) io.out(`${name} = ${settingText(value)}`);
    return ExitCode.ok;
  }
  const value = settingAt(settings, key);
  if (value === undefined) {
    io.err(`There is no setting "${key}". Settings: ${flattenSettings(settings).map(([name]) => name).join(', ')}`);
    return ExitCode.usage;
  }
  io.out(values.json === true || typeof value === 'object' ? JSON.stringify(value, null, 2) : String(value));
  return ExitCode.ok;
};

export const settingsSet: ClientCommand = async ({ io, operands }, client) => {
  let patch: Record<string, unknown>;
  try {
    patch = settingsPatchFrom(operands);
  } catch (error) {
    if (error instanceof SettingsArgumentError) {
      io.err(`builder-bar settings set: ${error.message}`);
      return ExitCode.usage;
    }
    throw error;
  }
  const reply = await client.requestUnchecked('settings.set', { patch });
  if (!reply.ok) {
    printError(io, reply.error);
    return exitCodeFor(reply.error);
  }
  const changed = flattenSettings(patch).map(([name]) => `${name} = ${settingText(settingAt(reply.value.settings, name))}`);
  io.out(`Saved: ${changed.join(', ')}.`);
  for (const message of reply.value.effects.messages) io.out(message);
  return ExitCode.ok;
};

/** A setting's value as the CLI prints it: lists (remote builders) as JSON, the rest as text. */
function settingText(value: unknown): string {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}
