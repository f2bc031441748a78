/**
 * `builder-bar image update [--branch B] [--yes]`: "Update builder image" for the Mac builder.
 * Without --yes it only says where the branch is and what moving there would fetch; with --yes it
 * realises exactly that pin and saves it. Nothing of the builder is fetched without --yes.
 */
import { exitCodeFor, printError } from './cliIo.js';
import type { ClientCommand } from './clientCommands.js';
import { ExitCode } from './exitCodes.js';

export const imageUpdate: ClientCommand = async (context, client) => {
  const branch = typeof context.values.branch === 'string' ? context.values.branch : undefined;
  const planned = await client.request('builderImage.plan', branch === undefined ? {} : { branch });
  if (!planned.ok) {
    printError(context.io, planned.error);
    return exitCodeFor(planned.error);
  }
  const plan = planned.value;
  context.io.out(`Builder image now: nixpkgs ${plan.current.rev} (${plan.current.narHash})`);
  context.io.out(`${plan.branch} is at: nixpkgs ${plan.next.rev} (${plan.next.narHash})`);
  if (plan.upToDate) {
    context.io.out('Up to date: nothing to fetch.');
    return ExitCode.ok;
  }
  context.io.out(`Moving there fetches and builds: ${plan.cost}.`);
  if (context.values.yes !== true) {
    context.io.out('Run again with --yes to fetch it; the builder uses the new image from its next start.');
    return ExitCode.ok;
  }
  const updated = await client.request('builderImage.update', { pin: plan.next });
  if (!updated.ok) {
    printError(context.io, updated.error);
    return exitCodeFor(updated.error);
  }
  context.io.out(`Builder image updated: ${updated.value.storePath}. The builder uses it from its next start (builder-bar restart).`);
  return ExitCode.ok;
};
