import { describe, expect, it } from 'vitest';
import { commandSpecs } from './commandSpecs.js';
import { commandHelp, globalHelp } from './helpText.js';
import { parseCommandLine, type ParsedCommandLine } from './parseCommandLine.js';

function run(argv: string[]): Extract<ParsedCommandLine, { kind: 'run' }> {
  const parsed = parseCommandLine(argv);
  if (parsed.kind !== 'run') throw new Error(`expected a command to run, got ${JSON.stringify(parsed)}`);
  return parsed;
}

function usageError(argv: string[]): string {
  const parsed = parseCommandLine(argv);
  if (parsed.kind !== 'usage-error') throw new Error(`expected a usage error, got ${JSON.stringify(parsed)}`);
  return parsed.message;
}

describe('parsing the builder-bar command line', () => {
  it('reads commands with their options, converting numbers', () => {
    expect(run(['status', '--json'])).toMatchObject({ command: { path: ['status'] }, values: { json: true }, operands: [] });
    expect(run(['start', '--wait', '--timeout', '90'])).toMatchObject({ values: { wait: true, timeout: 90 } });
    expect(run(['start', '--wait', '--timeout=1.5']).values.timeout).toBe(1.5);
    expect(run(['logs', '--source', 'vm-console', '-n', '20', '-f']).values).toEqual({ source: 'vm-console', lines: 20, follow: true });
    expect(run(['serve', '--port', '0', '--profile', 'linux-test', '--open', '--stop-on-exit']).values).toEqual({
      port: 0,
      profile: 'linux-test',
      open: true,
      'stop-on-exit': true,
    });
  });

  it('reads two-word commands and their operands', () => {
    expect(run(['settings', 'get', 'restartPolicy.enabled'])).toMatchObject({ command: { path: ['settings', 'get'] }, operands: ['restartPolicy.enabled'] });
    expect(run(['settings', 'set', 'cpus=2', 'memoryMiB=2048']).operands).toEqual(['cpus=2', 'memoryMiB=2048']);
  });

  it('takes --state-dir before or after the command, the later one winning', () => {
    expect(run(['--state-dir', '/a', 'status']).stateDir).toBe('/a');
    expect(run(['--state-dir=/b', 'status']).stateDir).toBe('/b');
    expect(run(['status', '--state-dir', '/c']).stateDir).toBe('/c');
    expect(run(['--state-dir', '/a', 'stop', '--state-dir=/d']).stateDir).toBe('/d');
    expect(run(['status']).stateDir).toBeUndefined();
  });

  it('answers --help on every command, before or after it, and help COMMAND', () => {
    for (const spec of commandSpecs) {
      expect(parseCommandLine([...spec.path, '--help'])).toEqual({ kind: 'help', command: spec, stateDir: undefined });
      expect(parseCommandLine(['--help', ...spec.path])).toMatchObject({ kind: 'help', command: spec });
    }
    expect(parseCommandLine(['help', 'settings', 'set'])).toMatchObject({ kind: 'help', command: { path: ['settings', 'set'] } });
    expect(parseCommandLine(['--help'])).toMatchObject({ kind: 'help', command: null });
    expect(parseCommandLine(['help'])).toMatchObject({ kind: 'help', command: null });
    expect(parseCommandLine(['--version'])).toEqual({ kind: 'version' });
  });

  it('refuses what it does not know, saying what was wrong', () => {
    expect(usageError([])).toBe('No command given.');
    expect(usageError(['launch'])).toBe('Unknown command "launch".');
    expect(usageError(['settings'])).toBe('"settings" needs one of: get, set.');
    expect(usageError(['settings', 'delete'])).toBe('"settings" needs one of: get, set.');
    expect(usageError(['status', '--yaml'])).toMatch(/Unknown option '--yaml'/);
    expect(usageError(['--verbose', 'status'])).toBe('Unknown option --verbose.');
    expect(usageError(['status', 'extra'])).toBe('Unexpected argument "extra".');
    expect(usageError(['settings', 'set'])).toBe('Missing argument.');
    expect(usageError(['settings', 'get', 'a', 'b'])).toBe('Unexpected argument "b".');
    expect(usageError(['--state-dir'])).toBe('--state-dir needs a directory.');
    const optionLike = '--state-dir needs a directory, not "-x", which reads as an option (for a directory named so, write ./-x).';
    expect(usageError(['--state-dir', '-x', 'status'])).toBe(optionLike);
    expect(usageError(['--state-dir=-x', 'status'])).toBe(optionLike);
    expect(usageError(['status', '--state-dir=-x'])).toBe(optionLike);
    expect(run(['--state-dir', './-x', 'status']).stateDir).toBe('./-x');
    // Longer than a path to a file in it may be: refused before Nix is asked about it.
    expect(usageError(['nix', 'plan', '--conf-dir', `/tmp/${'d'.repeat(5000)}`])).toMatch(/^The config directory "\/tmp\/d+…" is 5005 bytes long: its files would be longer than a path may be \(1024 bytes on macOS\)\. Choose a shorter path\.$/);
    expect(usageError(['help', 'nothing'])).toBe('Unknown command "nothing".');
  });

  it('refuses option values out of range or of the wrong kind', () => {
    expect(usageError(['serve', '--port', '70000'])).toBe('--port must be a whole number from 0 to 65535 (got "70000").');
    expect(usageError(['serve', '--port', 'abc'])).toContain('--port must be a whole number');
    expect(usageError(['serve', '--profile', 'windows'])).toBe('--profile must be one of linux-test, darwin-linux-builder (got "windows").');
    expect(usageError(['start', '--timeout', '0'])).toBe('--timeout must be a number from 1 to 3600 (got "0").');
    expect(usageError(['start', '--timeout', ''])).toContain('--timeout must be a number');
    expect(usageError(['logs', '--lines', '2.5'])).toContain('--lines must be a whole number');
    expect(usageError(['logs', '--source', 'kernel'])).toBe('--source must be one of app, vm-console, qemu, ssh, nix-wiring, build:<id> (got "kernel").');
    expect(usageError(['logs', '--source', 'build:../../etc/passwd'])).toBe('--source must be one of app, vm-console, qemu, ssh, nix-wiring, build:<id> (got "build:../../etc/passwd").');
    expect(run(['logs', '--source', 'build:build-m1x2-1-3f']).values).toEqual({ source: 'build:build-m1x2-1-3f' });
    expect(usageError(['serve', '--port'])).toMatch(/--port/);
  });
});

describe('help text', () => {
  it('lists every command and the exit codes', () => {
    const help = globalHelp();
    for (const spec of commandSpecs) expect(help).toContain(`  ${spec.path.join(' ')} `);
    expect(help).toContain('--state-dir DIR');
    expect(help).toMatch(/^ {2}0 +ok$/m);
    expect(help).toMatch(/^ {2}3 +no Builder Bar core is running/m);
  });

  it("documents each command's options exactly as the parser accepts them", () => {
    for (const spec of commandSpecs) {
      const help = commandHelp(spec);
      expect(help).toContain(`Usage: builder-bar [--state-dir DIR] ${spec.path.join(' ')}`);
      for (const [name, option] of Object.entries(spec.options)) {
        expect(help).toContain(`--${name}${option.type === 'string' ? ` ${option.valueName}` : ''}`);
        // Whatever the help shows as the option's syntax, the parser takes.
        const sample = option.type === 'boolean' ? [] : [option.choices?.[0] ?? option.accepts?.example ?? String(option.number?.min ?? 'x')];
        const operands = spec.operands.min > 0 ? ['cpus=1'] : [];
        expect(parseCommandLine([...spec.path, `--${name}`, ...sample, ...operands]).kind).toBe(spec.path[0] === 'help' ? 'help' : 'run');
      }
      expect(help).toContain('Exit codes:');
      for (const line of help.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    }
  });

  it('says serve leaves the VM running unless --stop-on-exit', () => {
    const serve = commandSpecs.find((spec) => spec.path[0] === 'serve');
    expect(serve && commandHelp(serve)).toMatch(/VM keeps running[\s\S]*--stop-on-exit/);
  });
});
