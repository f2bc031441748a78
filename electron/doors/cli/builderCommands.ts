/**
 * `builder-bar builders list|add|remove|check`: remote Linux builders beside the VM. Each is a
 * thin translation to one contract request; the core validates and checks them.
 */
import type { Envelope, ErrorInfo, RemoteBuilder, RemoteBuilderList } from '../../ipc/contract.js';
import { exitCodeFor, printError, type CommandContext } from './cliIo.js';
import type { ClientCommand } from './clientCommands.js';
import { ExitCode } from './exitCodes.js';

export const buildersList: ClientCommand = async (context, client) => {
  const reply = await client.request('builders.list', {});
  return printList(context, reply);
};

export const buildersCheck: ClientCommand = async (context, client) => {
  const id = context.operands[0];
  const reply = await client.request('builders.check', id === undefined ? {} : { id });
  return printList(context, reply);
};

export const buildersRemove: ClientCommand = async (context, client) => {
  const reply = await client.request('builders.remove', { id: context.operands[0] ?? '' });
  if (!reply.ok) return failed(context, reply.error);
  context.io.out(`Removed ${context.operands[0]}.`);
  return ExitCode.ok;
};

export const buildersAdd: ClientCommand = async (context, client) => {
  const { values, operands } = context;
  const list = (value: unknown) => (typeof value === 'string' && value !== '' ? value.split(',').map((part) => part.trim()) : []);
  const builder: RemoteBuilder = {
    id: operands[0] ?? '',
    protocol: values.protocol === 'ssh' ? 'ssh' : 'ssh-ng',
    user: String(values.user ?? ''),
    host: String(values.host ?? ''),
    port: Number(values.port ?? 22),
    systems: list(values.systems ?? 'x86_64-linux'),
    maxJobs: Number(values['max-jobs'] ?? 1),
    speedFactor: Number(values['speed-factor'] ?? 1),
    supportedFeatures: list(values.features),
    sshKey: String(values.key ?? ''),
    hostKey: String(values['host-key'] ?? ''),
  };
  // The core validates every field against the contract and says which one is wrong.
  const reply = await client.requestUnchecked('builders.add', { builder });
  if (!reply.ok) return failed(context, reply.error);
  const added = reply.value.builders.find((entry) => entry.builder.id === builder.id);
  context.io.out(`Added ${builder.id}: ${added?.health.message ?? 'not checked yet'}`);
  return added?.health.state === 'ok' ? ExitCode.ok : ExitCode.failed;
};

function printList(context: CommandContext, reply: Envelope<RemoteBuilderList>): number {
  if (!reply.ok) return failed(context, reply.error);
  const value = reply.value;
  if (context.values.json === true) {
    context.io.out(JSON.stringify(value, null, 2));
    return ExitCode.ok;
  }
  if (value.builders.length === 0) {
    context.io.out('No remote builders. Add one with: builder-bar builders add NAME --host HOST --user USER --key PATH --host-key "ssh-ed25519 AAAA…"');
    return ExitCode.ok;
  }
  for (const { builder, health } of value.builders) {
    context.io.out(`${builder.id}  ${builder.protocol}://${builder.user}@${builder.host}:${builder.port}  ${builder.systems.join(',')}  jobs ${builder.maxJobs}  [${health.state}] ${health.message}`);
  }
  return value.builders.every(({ health }) => health.state === 'ok' || health.state === 'unknown') ? ExitCode.ok : ExitCode.failed;
}

function failed(context: CommandContext, error: ErrorInfo): number {
  printError(context.io, error);
  return exitCodeFor(error);
}
