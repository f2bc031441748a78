/**
 * `builder-bar builds [--json] [--follow]`: the queue as the core holds it, running builds first
 * then recent ones, each with where it came from (`source`: builder-bar, or external: another
 * Nix process on this machine, seen through json-log-path) and the machine it built on; then
 * what the queue can see of builds started elsewhere, and why not more (an older Nix).
 *
 * --json prints one object: `builds` (each build with `source`, `machine` and, for the builds
 * whose logs the core still holds, each derivation's `log` lines), `seenOnBuilder` (builds
 * others run on the builder VM, from its process list) and `externalFeed`. --follow then prints
 * every change as it comes (with --json: one JSON object per line) until Ctrl-C.
 */
import type { BuildView, CoreEvent, ExternalFeed } from '../../ipc/contract.js';
import { describeBuildTarget } from '../../ipc/describeBuildTarget.js';
import { aborted, exitCodeFor, printError } from './cliIo.js';
import type { ClientCommand } from './clientCommands.js';
import { ExitCode } from './exitCodes.js';
import type { CoreClient } from './socketClient.js';

/** Builds, from the top of the list, whose derivations' log lines --json carries. */
const BUILDS_WITH_LOGS = 20;

/** Where a build ran: the machines its started derivations were built on, or null before any started. */
export function buildMachine(view: BuildView): string | null {
  const machines = [...new Set(view.derivations.filter((derivation) => derivation.startedAt !== null).map((derivation) => derivation.machine))];
  return machines.length === 0 ? null : machines.join(', ');
}

export function formatBuildLine(view: BuildView): string {
  const source = view.source ?? 'builder-bar';
  const progress = view.progress.expected > 0 ? ` ${view.progress.done}/${view.progress.expected}` : '';
  const phase = view.derivations.find((derivation) => derivation.state === 'building' && derivation.phase)?.phase;
  return `${view.id}  ${source}  ${view.state}${progress}  ${buildMachine(view) ?? '-'}  ${describeBuildTarget(view.target, { shortFile: true })}${phase ? `  (${phase})` : ''}${view.error ? `: ${view.error}` : ''}`;
}

function feedLines(feed: ExternalFeed | undefined): string[] {
  if (!feed) return [];
  const counts = feed.malformed + feed.oversized > 0 ? ` Skipped ${feed.malformed} malformed and ${feed.oversized} oversized log records.` : '';
  return [`${feed.message}${counts}`];
}

async function withLogs(client: CoreClient, view: BuildView): Promise<unknown> {
  const derivations = await Promise.all(
    view.derivations.map(async (derivation) => {
      const reply = await client.request('builds.log', { id: view.id, drvPath: derivation.drvPath });
      return { ...derivation, log: reply.ok ? reply.value.lines : [] };
    }),
  );
  return { ...view, source: view.source ?? 'builder-bar', machine: buildMachine(view), derivations };
}

export const builds: ClientCommand = async ({ io, values }, client) => {
  const json = values.json === true;
  const follow = values.follow === true;
  let early: CoreEvent[] | null = [];
  const printEvent = (event: CoreEvent): void => {
    if (event.name === 'build') {
      io.out(json ? JSON.stringify({ build: { ...event.payload, source: event.payload.source ?? 'builder-bar', machine: buildMachine(event.payload) } }) : formatBuildLine(event.payload));
    } else if (event.name === 'buildRemoved') {
      io.out(json ? JSON.stringify({ removed: event.payload.id }) : `${event.payload.id}  removed from the list`);
    }
  };
  let connectionLost: Promise<Error> | null = null;
  if (follow) {
    // Subscribe before listing so no change falls between the two.
    connectionLost = new Promise((resolve) => client.onClose(resolve));
    await client.subscribe(['build', 'buildRemoved'], (event) => {
      if (early) early.push(event);
      else printEvent(event);
    });
  }
  const reply = await client.request('builds.list', {});
  if (!reply.ok) {
    printError(io, reply.error);
    return exitCodeFor(reply.error);
  }
  const { builds: views, external: seenOnBuilder, externalFeed } = reply.value;
  if (json) {
    const listed = await Promise.all(
      views.map((view, index) => (index < BUILDS_WITH_LOGS ? withLogs(client, view) : { ...view, source: view.source ?? 'builder-bar', machine: buildMachine(view) })),
    );
    const document = { builds: listed, seenOnBuilder, externalFeed: externalFeed ?? null };
    io.out(follow ? JSON.stringify(document) : JSON.stringify(document, null, 2));
  } else {
    if (views.length === 0) io.out('No builds yet.');
    for (const view of views) io.out(formatBuildLine(view));
    // No pids for the guest daemon's builds: the guest's ssh user may not see them (guestBuildDirs.ts).
    for (const build of seenOnBuilder) io.out(`(on the builder, started elsewhere) ${build.name}${build.pids.length > 0 ? `  pids ${build.pids.join(',')}` : ''}`);
    for (const line of feedLines(externalFeed)) io.out(line);
  }
  const pending = early;
  early = null;
  for (const event of pending) printEvent(event);
  if (!connectionLost) return ExitCode.ok;
  const ended = await Promise.race([aborted(io.signal).then(() => 'interrupted' as const), connectionLost.then(() => 'lost' as const)]);
  if (ended === 'lost') {
    io.err('The Builder Bar core stopped; no more changes will come.');
    return ExitCode.failed;
  }
  return ExitCode.interrupted;
};
