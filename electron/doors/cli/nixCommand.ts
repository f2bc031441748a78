/**
 * `builder-bar nix plan|apply|remove|verify [--json] [--conf-dir DIR]` (commandSpecs.ts parses
 * them and holds their help, as for every command). Works without a running
 * core: it reads the state dir (settings.json, the keys, the running VM's boot record, the
 * wiring record) through the core's own modules. Without `--conf-dir` the target is the
 * system's Nix, which only the macOS admin step writes; on other systems that is refused.
 *
 * Apply and remove write, and there is one writer per state dir (wiringTurn.ts): beside a
 * running core they are sent to it, printing the same and exiting the same as when this process
 * writes itself; with no core, this process holds the state dir's lock while it writes.
 *
 * Nix is the one the core would run: the state dir's nixBinDir setting, else
 * BUILDER_BAR_NIX_BIN_DIR, PATH and Nix's profile directories of this process's environment.
 */
import path from 'node:path';
import { BuilderBarError } from '../../core/errors.js';
import { applyWiring, removeWiring, type RemoveResult } from '../../core/nix/applyWiring.js';
import { placeLogSocketForPlan } from '../../core/nix/jsonLogPathWiring.js';
import { nixLocatorFromState } from '../../core/nix/builderFromState.js';
import type { NixResolver } from '../../core/nix/nixInstallation.js';
import type { NixDetection } from '../../core/nix/detectNix.js';
import { publicPlan, type WiringPlan } from '../../core/nix/planWiring.js';
import { chooseWiringTarget, openWiringSession, planSession, verifySession, type Detect } from '../../core/nix/wiringSession.js';
import { confDirProblem, describeTarget, type WiringTarget } from '../../core/nix/wiringTarget.js';
import { statePaths, type StatePaths } from '../../core/paths.js';
import { prepareStateDir } from '../../core/stateDir.js';
import type { ErrorInfo } from '../../ipc/contract.js';
import type { CliIo } from './cliIo.js';
import { ExitCode } from './exitCodes.js';
import { parseCommandLine } from './parseCommandLine.js';
import { answerWithoutRunning, type RunnableCommandLine } from './parseOutcome.js';
import { ConnectionLostError, type CoreClient } from './socketClient.js';
import { takeWiringTurn } from './wiringTurn.js';
import { ABANDONED, untilAbandoned } from './untilAbandoned.js';

export interface NixCommandOptions {
  platform?: NodeJS.Platform;
  /** Tests: Nix detection without running Nix (the core's handlers take the same). */
  detect?: Detect;
  /** Tests: the Nix to run instead of the state dir's setting and the environment's. */
  nix?: NixResolver;
}

type Action = 'plan' | 'apply' | 'remove' | 'verify';

/**
 * `builder-bar nix …` without the CLI around it (tests, benchmarks): the words after `nix`, parsed
 * by the same command table, answered the same way.
 */
export async function runNixCommand(argv: string[], io: CliIo, options: NixCommandOptions = {}): Promise<number> {
  const parsed = parseCommandLine(['nix', ...argv]);
  const answered = answerWithoutRunning(parsed, io);
  if (answered !== null || parsed.kind !== 'run') return answered ?? ExitCode.usage;
  return runNixAction(parsed, io, options);
}

/** Runs one `nix` command the command table parsed. */
export async function runNixAction(parsed: RunnableCommandLine, io: CliIo, options: NixCommandOptions = {}): Promise<number> {
  const platform = options.platform ?? process.platform;
  const action = parsed.command.path[1] as Action;
  const json = parsed.values.json === true;
  const paths = statePaths({ stateDir: parsed.stateDir, env: io.env, platform });
  const confDir = typeof parsed.values['conf-dir'] === 'string' ? parsed.values['conf-dir'] : undefined;

  try {
    // Every action reads or writes the state dir (plan makes the install keys there).
    await prepareStateDir(paths.stateDir);
    const nixFor: Nix = { detect: options.detect, nix: options.nix ?? (await nixLocatorFromState(paths, io.env, platform)) };
    switch (action) {
      case 'remove':
        return await inTurn(io, paths, json, false, (client) => removeThroughCore(io, json, client), () => remove(io, paths, json));
      case 'verify':
        return await verify(io, paths, json, await targetFor(confDir, paths, platform, true, nixFor), platform, nixFor);
      case 'plan':
        return await planOrApply(io, paths, json, false, await targetFor(confDir, paths, platform, false, nixFor), platform, nixFor);
      case 'apply': {
        if (confDir === undefined) {
          // Refused the same way whether or not a core runs: off macOS there is no system target
          // (chooseWiringTarget says so and throws); on a Mac it is the app's admin step.
          if (platform !== 'darwin') await targetFor(confDir, paths, platform, false, nixFor);
          throw systemApplyRefusal();
        }
        const dir = path.resolve(confDir);
        const problem = confDirProblem(dir);
        if (problem) throw new BuilderBarError('wiring-refused', problem, 'Nothing was written.');
        return await inTurn(io, paths, json, true, (client) => applyThroughCore(io, json, client, dir), async () =>
          planOrApply(io, paths, json, true, await targetFor(confDir, paths, platform, false, nixFor), platform, nixFor),
        );
      }
    }
  } catch (error) {
    if (error instanceof BuilderBarError) return printFailure(io, json, { code: error.code, message: error.message, hint: error.hint });
    throw error;
  }
  return ExitCode.failed;
}

/** One error, printed the same whether it came from this process or from the core. */
function printFailure(io: CliIo, json: boolean, error: ErrorInfo): number {
  if (json) io.out(JSON.stringify({ ok: false, error: { code: error.code, message: error.message, hint: error.hint } }));
  io.err(`Error: ${error.message}`);
  if (error.hint) io.err(`Hint: ${error.hint}`);
  return error.code === 'invalid-request' || error.code === 'not-supported' || error.code === 'wiring-refused' ? ExitCode.usage : ExitCode.failed;
}

function systemApplyRefusal(): BuilderBarError {
  return new BuilderBarError(
    'not-supported',
    'Applying to the system Nix configuration needs the macOS admin step, which runs from the app, not this command.',
    'Use --conf-dir DIR here, or apply from the Builder Bar menu.',
  );
}

/** Runs a writing step as the one writer of the state dir's wiring: through its core, or holding its lock. */
async function inTurn(
  io: CliIo,
  paths: StatePaths,
  json: boolean,
  createStateDir: boolean,
  throughCore: (client: CoreClient) => Promise<number>,
  locally: () => Promise<number>,
): Promise<number> {
  const turn = await takeWiringTurn(paths, createStateDir);
  if (turn.kind === 'busy') {
    throw new BuilderBarError(
      'busy',
      `Another Builder Bar process (pid ${turn.owner.pid}) holds ${paths.stateDir}: a core starting, or another "builder-bar nix apply" or "nix remove". Nothing was changed.`,
      `Wait for it to finish, then run this command again. If no Builder Bar process runs at all, delete ${paths.lockFile} and run it again.`,
    );
  }
  if (turn.kind === 'core') {
    try {
      const outcome = await untilAbandoned(io, paths, turn.client, () => throughCore(turn.client));
      return outcome === ABANDONED ? ExitCode.interrupted : outcome;
    } catch (error) {
      if (!(error instanceof ConnectionLostError)) throw error;
      io.err(error.message);
      return ExitCode.failed;
    } finally {
      turn.client.close();
    }
  }
  try {
    return await locally();
  } finally {
    await turn.lock?.release();
  }
}

async function applyThroughCore(io: CliIo, json: boolean, client: CoreClient, confDir: string): Promise<number> {
  const reply = await client.request('nix.apply', { confDir });
  if (!reply.ok) return printFailure(io, json, reply.error);
  printApplied(io, json, reply.value, reply.value.environment, { kind: 'confDir', dir: confDir });
  return ExitCode.ok;
}

async function removeThroughCore(io: CliIo, json: boolean, client: CoreClient): Promise<number> {
  const reply = await client.request('nix.remove', {});
  if (!reply.ok) return printFailure(io, json, reply.error);
  printRemoved(io, json, reply.value);
  return ExitCode.ok;
}

/** How this command detects and runs Nix. */
interface Nix {
  detect: Detect | undefined;
  nix: NixResolver;
}

/** `verify` without --conf-dir uses the target that was applied, when there is one. */
function targetFor(confDir: string | undefined, paths: StatePaths, platform: NodeJS.Platform, preferRecorded: boolean, { detect, nix }: Nix): Promise<WiringTarget> {
  return chooseWiringTarget({ confDir, stateDir: paths.stateDir, platform, preferRecorded, nix, ...(detect ? { detect } : {}) });
}

function printPlan(io: CliIo, plan: WiringPlan): void {
  io.out(plan.summary);
  for (const problem of plan.problems) io.err(`Problem: ${problem.message}`);
  for (const file of plan.files) {
    if (file.change === 'none') continue;
    io.out('');
    io.out(file.diff.trimEnd());
  }
  if (plan.nixDarwinConfig !== null) {
    io.out('');
    io.out('The same wiring as nix-darwin configuration (add it to yours, then darwin-rebuild switch):');
    io.out('');
    io.out(plan.nixDarwinConfig.trimEnd());
  }
}

/** Detection's findings, less those the plan repeats as its own problem (Nix that cannot print its configuration). */
function printDetection(io: CliIo, detection: NixDetection, plan: WiringPlan): void {
  const where = detection.binary ? ` at ${detection.binary}` : '';
  io.out(`Nix ${detection.version ?? 'not found'}${where}${detection.mode ? ` (${detection.mode})` : ''}${detection.determinate ? ', Determinate' : ''}`);
  for (const problem of detection.problems) {
    const words = `${problem.message} ${problem.fix}`;
    if (plan.problems.some((planProblem) => planProblem.message.startsWith(words))) continue;
    io.out(`${problem.blocking ? 'Problem' : 'Note'}: ${words}`);
  }
}

async function planOrApply(io: CliIo, paths: StatePaths, json: boolean, apply: boolean, target: WiringTarget, platform: NodeJS.Platform, { detect, nix }: Nix): Promise<number> {
  const session = await openWiringSession(paths, target, platform, detect, nix);
  const { detection, layout } = session;
  const plan = await planSession(session, paths.stateDir);
  if (!apply) {
    if (json) io.out(JSON.stringify({ ok: plan.problems.length === 0, detection, plan: publicPlan(plan) }, null, 2));
    else {
      printDetection(io, detection, plan);
      printPlan(io, plan);
      if (plan.environment.length > 0) io.out(['', 'Then make Nix use it:', ...plan.environment].join('\n'));
    }
    return plan.problems.length === 0 ? ExitCode.ok : ExitCode.failed;
  }
  if (layout.needsAdmin) throw systemApplyRefusal();
  const result = await applyWiring(plan, paths.stateDir);
  await placeLogSocketForPlan(plan, paths.stateDir);
  printApplied(io, json, result, plan.environment, target);
  return ExitCode.ok;
}

function printApplied(io: CliIo, json: boolean, result: { written: string[]; unchanged: string[] }, environment: string[], target: WiringTarget): void {
  if (json) io.out(JSON.stringify({ ok: true, written: result.written, unchanged: result.unchanged, environment }, null, 2));
  else {
    io.out(result.written.length === 0 ? `${describeTarget(target)} is already wired; nothing written.` : `Wrote ${result.written.join(', ')}.`);
    if (environment.length > 0) io.out(['Make Nix use it:', ...environment].join('\n'));
  }
}

async function remove(io: CliIo, paths: StatePaths, json: boolean): Promise<number> {
  printRemoved(io, json, await removeWiring(paths.stateDir));
  return ExitCode.ok;
}

function printRemoved(io: CliIo, json: boolean, result: RemoveResult): void {
  if (json) io.out(JSON.stringify({ ok: true, restored: result.restored, deleted: result.deleted, blockRemoved: result.blockRemoved, notes: result.notes }, null, 2));
  else {
    if (result.restored.length > 0) io.out(`Restored ${result.restored.join(', ')}.`);
    if (result.deleted.length > 0) io.out(`Deleted ${result.deleted.join(', ')}.`);
    for (const note of result.notes) io.out(note);
  }
}

async function verify(io: CliIo, paths: StatePaths, json: boolean, target: WiringTarget, platform: NodeJS.Platform, { detect, nix }: Nix): Promise<number> {
  const session = await openWiringSession(paths, target, platform, detect, nix);
  const result = await verifySession(session, paths.stateDir, io.signal);
  if (json) io.out(JSON.stringify(result, null, 2));
  else if (result.ok) io.out(result.message);
  else {
    io.err(`Verify failed: ${result.failure.message}`);
    io.err(`Fix: ${result.failure.fix}`);
    io.err('Last lines from Nix:');
    for (const line of result.failure.stderrTail) io.err(`  ${line}`);
  }
  return result.ok ? ExitCode.ok : ExitCode.failed;
}
