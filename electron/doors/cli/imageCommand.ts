/**
 * `builder-bar image ...`, the Mac builder's image and disk.
 * `update [--branch B] [--yes]`: "Update builder image". Without --yes it only says where the
 * branch is and what moving there would fetch; with --yes it realises exactly that pin and saves
 * it. Nothing of the builder is fetched without --yes.
 * `own-host-key`: the image with a host key made for this install, built on the builder itself;
 * the builder is then restarted into it and Nix's wiring re-pinned (hostKeySwitch.ts).
 * `disks` and `import-disk PATH`: the disks nixpkgs' builder left before Builder Bar, listed, and
 * one copied in as the builder's own (the original is only read).
 */
import path from 'node:path';
import { exitCodeFor, printError } from './cliIo.js';
import type { ClientCommand } from './clientCommands.js';
import { ExitCode } from './exitCodes.js';
import { upstreamDiskCandidates } from '../../core/vm/profiles/upstreamDisks.js';

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

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

export const imageDisks: ClientCommand = async (context, client) => {
  const answer = await client.request('builderImage.upstreamDisks', {});
  if (!answer.ok) {
    printError(context.io, answer.error);
    return exitCodeFor(answer.error);
  }
  const { disks, ownDisk, ownDiskExists } = answer.value;
  if (context.values.json === true) {
    context.io.out(JSON.stringify(answer.value, null, 2));
    return ExitCode.ok;
  }
  if (disks.length === 0) {
    // The places the core looks, named from the same list (home as ~: the core's home is the user's).
    context.io.out(`No disk of nixpkgs' builder found (looked at ${upstreamDiskCandidates('~').map((candidate) => candidate.path).join(', ')}).`);
    return ExitCode.ok;
  }
  for (const disk of disks) {
    const access = disk.readable ? '' : ' (root\'s: your account cannot read it)';
    context.io.out(`${disk.path}  ${gib(disk.sizeBytes)} used, changed ${disk.modified.slice(0, 10)}${access}\n  from ${disk.origin}`);
  }
  context.io.out(ownDiskExists
    ? `The builder already has its own disk (${ownDisk}): to import one of these instead, stop the builder and move that disk away first.`
    : 'Import one with: builder-bar image import-disk PATH (it is copied; the original stays as it is).');
  return ExitCode.ok;
};

export const imageImportDisk: ClientCommand = async (context, client) => {
  const source = path.resolve(process.cwd(), context.operands[0] ?? '');
  const answer = await client.request('builderImage.importDisk', { path: source });
  if (!answer.ok) {
    printError(context.io, answer.error);
    return exitCodeFor(answer.error);
  }
  context.io.out(`Imported ${answer.value.source} as the builder's disk (${answer.value.target}, ${gib(answer.value.virtualSizeBytes)}); the original is unchanged.`);
  context.io.out('The builder starts from it at its next start.');
  return ExitCode.ok;
};

export const imageOwnHostKey: ClientCommand = async (context, client) => {
  context.io.out('Building the builder image with a host key of its own, on the builder (through the Nix wiring), then restarting the builder into it once no build runs and pinning the new key…');
  const answer = await client.request('builderImage.ownHostKey', {});
  if (!answer.ok) {
    printError(context.io, answer.error);
    return exitCodeFor(answer.error);
  }
  const { realised, storePath, switched, rePin, next } = answer.value;
  context.io.out(`${realised ? 'Built' : 'Already there'}: ${storePath}.`);
  if (switched) context.io.out('The builder now runs with its own host key.');
  if (rePin === 'applied') context.io.out('Nix\'s wiring was applied again and pins the new key.');
  if (next !== null) context.io.out(next);
  return ExitCode.ok;
};
