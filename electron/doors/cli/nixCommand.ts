/**
 * `builder-bar nix plan|apply|remove|verify [--json] [--conf-dir DIR]`. Works without a running
 * core: it reads the state dir (settings.json, the keys, the running VM's boot record, the
 * wiring record) through the core's own modules. Without `--conf-dir` the target is the
 * system's Nix, which only the macOS admin step writes; on other systems that is refused.
 */
import { parseArgs } from 'node:util';
import { BuilderBarError } from '../../core/errors.js';
import { applyWiring, removeWiring } from '../../core/nix/applyWiring.js';
import type { NixDetection } from '../../core/nix/detectNix.js';
import { publicPlan, type WiringPlan } from '../../core/nix/planWiring.js';
import { chooseWiringTarget, openWiringSession, planSession, verifySession } from '../../core/nix/wiringSession.js';
import { describeTarget, type WiringTarget } from '../../core/nix/wiringTarget.js';
import { statePaths, type StatePaths } from '../../core/paths.js';
import type { CliIo } from './cliIo.js';
import { ExitCode } from './exitCodes.js';
import { exitCodeLines } from './helpText.js';

export const nixHelp = [
  'builder-bar nix: wire Nix to the builder, prove it with a real build, take it back.',
  '',
  'Usage: builder-bar [--state-dir DIR] nix plan|apply|remove|verify [--json] [--conf-dir DIR]',
  '',
  '  plan     show the exact change to every file, and what stands in the way, writing nothing;',
  '           a file that is a symbolic link (nix-darwin\'s /etc/nix/nix.conf) is never written:',
  '           plan shows the nix-darwin configuration that does the same wiring instead',
  '  apply    write the plan: atomic writes, a backup of every file Builder Bar did not create,',
  '           refused if a file changed since it was read; applying twice changes nothing',
  '  remove   restore every file apply touched byte for byte, with its mode; delete what it made',
  '  verify   build a derivation only the builder may build (--max-jobs 0) and prove the output',
  '           came from the guest; on failure say why in words',
  '',
  'Without --conf-dir the target is the system Nix configuration (/etc/nix), written on macOS',
  'by one admin step. With --conf-dir DIR everything goes into DIR (nix.conf, machines,',
  'ssh_config, known_hosts, the key), no substituters are set, and the environment that makes',
  'Nix use it is printed: NIX_CONF_DIR=DIR NIX_SSHOPTS="-F DIR/ssh_config".',
  '',
  'Options:',
  '  --conf-dir DIR    wire a directory you own instead of /etc (no spaces in DIR)',
  '  --json            print one JSON document',
  '  --state-dir DIR   the Builder Bar state dir (or BUILDER_BAR_HOME)',
  '  -h, --help        show this help',
  '',
  'Exit codes:',
  ...exitCodeLines.slice(0, 3),
  '',
].join('\n');

export interface NixCommandOptions {
  platform?: NodeJS.Platform;
}

type Action = 'plan' | 'apply' | 'remove' | 'verify';
const actions: readonly Action[] = ['plan', 'apply', 'remove', 'verify'];

export async function runNixCommand(argv: string[], io: CliIo, options: NixCommandOptions = {}): Promise<number> {
  const platform = options.platform ?? process.platform;
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        'conf-dir': { type: 'string' },
        'state-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    return usage(io, (error as Error).message);
  }
  if (parsed.values.help) {
    io.out(nixHelp.trimEnd());
    return ExitCode.ok;
  }
  const [action, ...extra] = parsed.positionals;
  if (!action || !actions.includes(action as Action)) return usage(io, action ? `"${action}" is not a nix command.` : 'Which one: plan, apply, remove or verify?');
  if (extra.length > 0) return usage(io, `Unexpected argument: ${extra[0]}`);
  const json = parsed.values.json === true;
  const paths = statePaths({ stateDir: parsed.values['state-dir'], env: io.env, platform });
  const confDir = parsed.values['conf-dir'];
  if (confDir === '') return usage(io, '--conf-dir needs a directory.');

  try {
    switch (action as Action) {
      case 'remove':
        return await remove(io, paths, json);
      case 'verify':
        return await verify(io, paths, json, await targetFor(confDir, paths, platform, true), platform);
      case 'plan':
      case 'apply':
        return await planOrApply(io, paths, json, action === 'apply', await targetFor(confDir, paths, platform, false), platform);
    }
  } catch (error) {
    if (error instanceof BuilderBarError) {
      if (json) io.out(JSON.stringify({ ok: false, error: { code: error.code, message: error.message, hint: error.hint } }));
      io.err(`Error: ${error.message}`);
      if (error.hint) io.err(`Hint: ${error.hint}`);
      return error.code === 'invalid-request' || error.code === 'not-supported' || error.code === 'wiring-refused' ? ExitCode.usage : ExitCode.failed;
    }
    throw error;
  }
  return ExitCode.failed;
}

function usage(io: CliIo, message: string): number {
  io.err(`builder-bar nix: ${message}`);
  io.err('Run "builder-bar nix --help" for usage.');
  return ExitCode.usage;
}

/** `verify` without --conf-dir uses the target that was applied, when there is one. */
function targetFor(confDir: string | undefined, paths: StatePaths, platform: NodeJS.Platform, preferRecorded: boolean): Promise<WiringTarget> {
  return chooseWiringTarget({ confDir, stateDir: paths.stateDir, platform, preferRecorded });
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

function printDetection(io: CliIo, detection: NixDetection): void {
  io.out(`Nix ${detection.version ?? 'not found'}${detection.mode ? ` (${detection.mode})` : ''}${detection.determinate ? ', Determinate' : ''}`);
  for (const problem of detection.problems) io.out(`${problem.blocking ? 'Problem' : 'Note'}: ${problem.message} ${problem.fix}`);
}

async function planOrApply(io: CliIo, paths: StatePaths, json: boolean, apply: boolean, target: WiringTarget, platform: NodeJS.Platform): Promise<number> {
  const session = await openWiringSession(paths, target, platform);
  const { detection, layout } = session;
  const plan = await planSession(session, paths.stateDir);
  if (!apply) {
    if (json) io.out(JSON.stringify({ ok: plan.problems.length === 0, detection, plan: publicPlan(plan) }, null, 2));
    else {
      printDetection(io, detection);
      printPlan(io, plan);
      if (plan.environment.length > 0) io.out(['', 'Then make Nix use it:', ...plan.environment].join('\n'));
    }
    return plan.problems.length === 0 ? ExitCode.ok : ExitCode.failed;
  }
  if (layout.needsAdmin) {
    throw new BuilderBarError(
      'not-supported',
      'Applying to the system Nix configuration needs the macOS admin step, which runs from the app, not this command.',
      'Use --conf-dir DIR here, or apply from the Builder Bar menu.',
    );
  }
  const result = await applyWiring(plan, paths.stateDir);
  if (json) io.out(JSON.stringify({ ok: true, ...result, environment: plan.environment }, null, 2));
  else {
    io.out(result.written.length === 0 ? `${describeTarget(target)} is already wired; nothing written.` : `Wrote ${result.written.join(', ')}.`);
    if (plan.environment.length > 0) io.out(['Make Nix use it:', ...plan.environment].join('\n'));
  }
  return ExitCode.ok;
}

async function remove(io: CliIo, paths: StatePaths, json: boolean): Promise<number> {
  const result = await removeWiring(paths.stateDir);
  if (json) io.out(JSON.stringify({ ok: true, ...result }, null, 2));
  else {
    if (result.restored.length > 0) io.out(`Restored ${result.restored.join(', ')}.`);
    if (result.deleted.length > 0) io.out(`Deleted ${result.deleted.join(', ')}.`);
    for (const note of result.notes) io.out(note);
  }
  return ExitCode.ok;
}

async function verify(io: CliIo, paths: StatePaths, json: boolean, target: WiringTarget, platform: NodeJS.Platform): Promise<number> {
  const session = await openWiringSession(paths, target, platform);
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
