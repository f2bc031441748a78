/**
 * `builder-bar [--state-dir DIR] COMMAND [OPTIONS] [OPERANDS]` into what to run. Pure: no I/O,
 * so every refusal and every accepted form is unit-tested. `--state-dir` and `--help` are
 * accepted before or after the command name.
 */
import { parseArgs } from 'node:util';
import { commandSpecs, findCommand, type CommandSpec, type OptionSpec } from './commandSpecs.js';

export type OptionValue = string | number | boolean;

export type ParsedCommandLine =
  | { kind: 'help'; command: CommandSpec | null; stateDir: string | undefined; group?: string }
  | { kind: 'version' }
  | {
      kind: 'run';
      command: CommandSpec;
      values: Record<string, OptionValue>;
      operands: string[];
      stateDir: string | undefined;
    }
  | { kind: 'usage-error'; message: string; command: CommandSpec | null };

const groups = new Set(commandSpecs.filter((spec) => spec.path.length > 1).map((spec) => spec.path[0] as string));

export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  let stateDir: string | undefined;
  let wantsHelp = false;
  let index = 0;
  for (; index < argv.length; index += 1) {
    const token = argv[index] as string;
    if (!token.startsWith('-')) break;
    if (token === '--help' || token === '-h') wantsHelp = true;
    else if (token === '--version' || token === '-V') return { kind: 'version' };
    else if (token === '--state-dir' || token.startsWith('--state-dir=')) {
      const value = token === '--state-dir' ? argv[index + 1] : token.slice('--state-dir='.length);
      const refused = stateDirRefusal(value);
      if (refused) return usageError(refused, null);
      stateDir = value;
      if (token === '--state-dir') index += 1;
    } else return usageError(`Unknown option ${token}.`, null);
  }

  const first = argv[index];
  if (first === undefined) {
    return wantsHelp ? { kind: 'help', command: null, stateDir } : usageError('No command given.', null);
  }
  const words = groups.has(first) ? [first, argv[index + 1] ?? ''] : [first];
  const command = findCommand(words);
  if (!command) {
    if (groups.has(first)) {
      const choices = commandSpecs.filter((spec) => spec.path[0] === first).map((spec) => spec.path[1]);
      if (wantsHelp || words[1] === '--help' || words[1] === '-h') return { kind: 'help', command: null, stateDir, group: first };
      return usageError(`"${first}" needs one of: ${choices.join(', ')}.`, null);
    }
    return usageError(`Unknown command "${first}".`, null);
  }
  if (wantsHelp) return { kind: 'help', command, stateDir };

  const parserOptions: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    'state-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, spec] of Object.entries(command.options)) {
    parserOptions[name] = spec.short ? { type: spec.type, short: spec.short } : { type: spec.type };
  }
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv.slice(index + words.length), options: parserOptions, allowPositionals: true, strict: true });
  } catch (error) {
    return usageError(cleanParseArgsMessage((error as Error).message), command);
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { kind: 'help', command, stateDir };
  if (typeof values['state-dir'] === 'string') {
    const refused = stateDirRefusal(values['state-dir']);
    if (refused) return usageError(refused, command);
    stateDir = values['state-dir'];
  }

  if (command.path[0] === 'help') {
    if (positionals.length === 0) return { kind: 'help', command: null, stateDir };
    if (positionals.length === 1 && groups.has(positionals[0] as string)) return { kind: 'help', command: null, stateDir, group: positionals[0] as string };
    const target = findCommand(positionals);
    return target ? { kind: 'help', command: target, stateDir } : usageError(`Unknown command "${positionals.join(' ')}".`, null);
  }

  if (positionals.length < command.operands.min || positionals.length > command.operands.max) {
    const unexpected = positionals.length > command.operands.max;
    return usageError(unexpected ? `Unexpected argument ${JSON.stringify(positionals[command.operands.max])}.` : 'Missing argument.', command);
  }

  const checked: Record<string, OptionValue> = {};
  for (const [name, spec] of Object.entries(command.options)) {
    const raw = values[name];
    if (raw === undefined) continue;
    const value = checkOption(name, spec, raw);
    if (typeof value === 'object') return usageError(value.error, command);
    checked[name] = value;
  }
  return { kind: 'run', command, values: checked, operands: positionals, stateDir };
}

function checkOption(name: string, spec: OptionSpec, raw: string | boolean): OptionValue | { error: string } {
  if (spec.type === 'boolean' || typeof raw === 'boolean') return raw;
  if (spec.choices && !spec.choices.includes(raw)) {
    return { error: `--${name} must be one of ${spec.choices.join(', ')} (got ${JSON.stringify(raw)}).` };
  }
  const refused = spec.accepts?.check(raw) ?? null;
  if (refused) return { error: refused };
  if (spec.number) {
    const { min, max, integer } = spec.number;
    const value = raw.trim() === '' ? Number.NaN : Number(raw);
    if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
      return { error: `--${name} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max} (got ${JSON.stringify(raw)}).` };
    }
    return value;
  }
  return raw;
}

/** node:util's messages suggest `--` tricks meant for a program's own authors; keep the first sentence. */
function cleanParseArgsMessage(message: string): string {
  const first = message.split('. ')[0] ?? message;
  return first.endsWith('.') ? first : `${first}.`;
}

/** Why a --state-dir value is refused, or null: empty, or read as an option, as every other path option refuses it. */
function stateDirRefusal(value: string | undefined): string | null {
  if (value === undefined || value === '') return '--state-dir needs a directory.';
  if (value.startsWith('-')) return `--state-dir needs a directory, not ${JSON.stringify(value)}, which reads as an option (for a directory named so, write ./${value}).`;
  return null;
}

function usageError(message: string, command: CommandSpec | null): ParsedCommandLine {
  return { kind: 'usage-error', message, command };
}
