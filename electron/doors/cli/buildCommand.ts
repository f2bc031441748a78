/**
 * `builder-bar build FILE.nix|INSTALLABLE [--attr A] [--json]`: starts a build through the core
 * (so it waits for the builder to be ready and shows up in every window's queue), prints each
 * derivation as it moves, and ends with a summary. Ctrl-C cancels the build.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { BuildTarget, BuildView } from '../../ipc/contract.js';
import { aborted, exitCodeFor, printError } from './cliIo.js';
import type { ClientCommand } from './clientCommands.js';
import { ExitCode } from './exitCodes.js';

/** A path to a file (or a directory with default.nix) is built with nix-build; anything else is an installable. */
export function buildTargetFrom(operand: string, attr: string | undefined, cwd: string): BuildTarget {
  const looksLikePath = operand.endsWith('.nix') || operand.startsWith('./') || operand.startsWith('../') || operand.startsWith('/');
  if (looksLikePath && !operand.includes('#')) {
    const file = path.resolve(cwd, operand);
    // A path that is not there is still a file (the core then says it is missing, before the
    // builder starts), unless it is a store path or a derivation's output (`…drv^out`), which
    // Nix may fetch.
    const storeInstallable = operand.startsWith('/nix/store/') || operand.includes('^');
    if (existsSync(file) || !storeInstallable) return { kind: 'file', file, ...(attr ? { attr } : {}) };
  }
  return { kind: 'installable', installable: attr ? `${operand}#${attr}` : operand };
}

const FINISHED = new Set<BuildView['state']>(['succeeded', 'failed', 'cancelled']);

export const build: ClientCommand = async ({ io, values, operands }, client) => {
  const target = buildTargetFrom(operands[0] ?? '', typeof values.attr === 'string' ? values.attr : undefined, process.cwd());
  const json = values.json === true;
  let id: string | null = null;
  const seen = new Map<string, string>();
  let resolveDone: (view: BuildView) => void = () => undefined;
  const done = new Promise<BuildView>((resolve) => {
    resolveDone = resolve;
  });
  const show = (view: BuildView): void => {
    if (json) return;
    for (const derivation of view.derivations) {
      const line = `${derivation.state}${derivation.machine !== 'local' ? ` on ${derivation.machine}` : ''}`;
      if (seen.get(derivation.drvPath) !== line) io.out(`${derivation.name}: ${line}${derivation.reason ? ` (${derivation.reason})` : ''}`);
      seen.set(derivation.drvPath, line);
    }
  };
  const early: BuildView[] = [];
  await client.subscribe(['build'], (event) => {
    if (event.name !== 'build') return;
    if (id === null) early.push(event.payload);
    else if (event.payload.id === id) {
      show(event.payload);
      if (FINISHED.has(event.payload.state)) resolveDone(event.payload);
    }
  });
  const reply = await client.request('builds.start', { target });
  if (!reply.ok) {
    printError(io, reply.error);
    return exitCodeFor(reply.error);
  }
  id = reply.value.id;
  if (!json) io.out(reply.value.state === 'waiting-for-builder' ? `Build ${id}: waiting for the builder to be ready…` : `Build ${id} started.`);
  for (const view of early.filter((candidate) => candidate.id === id)) {
    show(view);
    if (FINISHED.has(view.state)) resolveDone(view);
  }
  const outcome = await Promise.race([done, aborted(io.signal).then(() => null)]);
  if (outcome === null) {
    await client.request('builds.cancel', { id });
    io.err(`Cancelled build ${id}.`);
    return ExitCode.interrupted;
  }
  if (json) {
    io.out(JSON.stringify(outcome, null, 2));
  } else {
    for (const output of outcome.outputPaths) io.out(output);
    io.out(`Build ${outcome.state}${outcome.error ? `: ${outcome.error}` : '.'}`);
  }
  return outcome.state === 'succeeded' ? ExitCode.ok : ExitCode.failed;
};
