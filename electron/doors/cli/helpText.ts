/** The words `--help` prints, generated from the command table so they always match the parser. */
import { commandSpecs, stateDirOption, type CommandSpec, type OptionSpec } from './commandSpecs.js';

const WIDTH = 80;

export const exitCodeLines = [
  '  0    ok',
  '  1    the operation failed (the builder did not start, a timeout, the core went away)',
  '  2    bad usage or invalid input (unknown option, a setting refused)',
  '  3    no Builder Bar core is running for the state dir (start one: builder-bar serve)',
  '  130  interrupted with Ctrl-C while waiting or following',
];

export function globalHelp(): string {
  const nameWidth = Math.max(...commandSpecs.map((spec) => spec.path.join(' ').length)) + 2;
  return [
    'builder-bar: the Linux builder VM for Nix, from a terminal.',
    '',
    'Usage: builder-bar [--state-dir DIR] COMMAND [OPTIONS]',
    '',
    'Commands:',
    ...commandSpecs.map((spec) => `  ${spec.path.join(' ').padEnd(nameWidth)}${spec.summary}`),
    '',
    'Most commands talk to the core that owns the state dir, over its socket (core.sock, mode',
    '0600); serve and start-app run a core, and nix and baselines work without one.',
    'The Mac app\'s own executable answers the same commands (Builder Bar.app/Contents/MacOS/Builder Bar',
    'status), so no Node is needed; a symlink to it named builder-bar works the same.',
    'Run "builder-bar COMMAND --help" for a command\'s options.',
    '',
    'Global options:',
    ...optionLines({ 'state-dir': stateDirOption, help: helpOption, version: versionOption }),
    '',
    'Exit codes:',
    ...exitCodeLines,
    '',
  ].join('\n');
}

/** `builder-bar GROUP --help`: the group's commands, each with its summary. */
export function groupHelp(group: string): string {
  const specs = commandSpecs.filter((spec) => spec.path[0] === group);
  const nameWidth = Math.max(...specs.map((spec) => spec.path.join(' ').length)) + 2;
  return [
    `builder-bar ${group}: ${specs.map((spec) => spec.path[1]).join(', ')}.`,
    '',
    `Usage: builder-bar [--state-dir DIR] ${group} ${specs.map((spec) => spec.path[1]).join('|')} [OPTIONS]`,
    '',
    'Commands:',
    ...specs.map((spec) => `  ${spec.path.join(' ').padEnd(nameWidth)}${spec.summary}`),
    '',
    `Run "builder-bar ${group} COMMAND --help" for a command's options.`,
    '',
  ].join('\n');
}

export function commandHelp(spec: CommandSpec): string {
  const name = spec.path.join(' ');
  const usage = `Usage: builder-bar [--state-dir DIR] ${name}${spec.synopsis ? ` ${spec.synopsis}` : ''}`;
  const options = { ...spec.options, 'state-dir': stateDirOption, help: helpOption };
  return [
    `builder-bar ${name}: ${spec.summary}.`,
    '',
    usage,
    '',
    ...spec.details.flatMap((paragraph) => [...wrap(paragraph, WIDTH), '']),
    'Options:',
    ...optionLines(options),
    '',
    'Exit codes:',
    ...exitCodeLines,
    '',
  ].join('\n');
}

const helpOption: OptionSpec = { type: 'boolean', short: 'h', description: 'Show this help' };
const versionOption: OptionSpec = { type: 'boolean', short: 'V', description: "Print Builder Bar's version" };

function optionLines(options: Record<string, OptionSpec>): string[] {
  const entries = Object.entries(options).map(([name, spec]) => {
    const short = spec.short ? `-${spec.short}, ` : '';
    const value = spec.type === 'string' ? ` ${spec.valueName}` : '';
    return { left: `  ${short}--${name}${value}`, description: spec.description };
  });
  const leftWidth = Math.max(...entries.map((entry) => entry.left.length)) + 2;
  return entries.flatMap(({ left, description }) => {
    const [first = '', ...rest] = wrap(description, WIDTH - leftWidth);
    return [`${left.padEnd(leftWidth)}${first}`, ...rest.map((line) => `${' '.repeat(leftWidth)}${line}`)];
  });
}

export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}
