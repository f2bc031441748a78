import { describe, expect, it } from 'vitest';
import { FullBuildCommandSchema } from '../../ipc/baselinesContract.js';
import { BuilderBarError } from '../errors.js';
import { DEFAULT_FULL_BUILD_COMMAND, FLAKE_FULL_BUILD_COMMAND } from './defaultFullBuild.js';
import { expandFullBuildCommand } from './expandFullBuildCommand.js';

const rev = '0123456789abcdef0123456789abcdef01234567';
const repo = '/home/me/my app';
const values = { rev, repo, branch: 'main' };

describe('expandFullBuildCommand', () => {
  it('expands the default command, one argument per placeholder', () => {
    expect(expandFullBuildCommand(DEFAULT_FULL_BUILD_COMMAND, values)).toEqual([
      'nix-build',
      '/home/me/my app/nix/incremental.nix',
      '--argstr',
      'baselineRev',
      rev,
      '-A',
      'full',
      '--no-out-link',
    ]);
  });

  it('expands several placeholders inside one argument (the flake override)', () => {
    const argv = expandFullBuildCommand(FLAKE_FULL_BUILD_COMMAND, { ...values, repo: '/srv/app' });
    expect(argv).toContain(`git+file:///srv/app?rev=${rev}`);
    expect(argv).toContain('git+file:///srv/app#full');
    expect(argv).toContain('nix-command flakes');
    expect(argv).toHaveLength(FLAKE_FULL_BUILD_COMMAND.length + 1);
  });

  it('ends every "nix build" with --no-write-lock-file, so no prebuild writes flake.lock into the checkout; nix-build is left as it is', () => {
    expect(expandFullBuildCommand(['nix', 'build', '{repoUrl}?rev={rev}#full'], values)).toEqual(['nix', 'build', `git+file:///home/me/my%20app?rev=${rev}#full`, '--no-write-lock-file']);
    expect(expandFullBuildCommand(FLAKE_FULL_BUILD_COMMAND, values).at(-1)).toBe('--no-write-lock-file');
    // Even when the command seems to have it: here it is the value of --argstr.
    expect(expandFullBuildCommand(['nix', 'build', '{repoUrl}#full', '--argstr', 'x', '--no-write-lock-file'], values).at(-1)).toBe('--no-write-lock-file');
    expect(expandFullBuildCommand(['nix', 'build', '{repoUrl}#full', '--argstr', 'x', '--no-write-lock-file'], values)).toHaveLength(7);
    expect(expandFullBuildCommand(DEFAULT_FULL_BUILD_COMMAND, values)).not.toContain('--no-write-lock-file');
    expect(FullBuildCommandSchema.safeParse(['nix', 'build', '{repoUrl}#full', '--no-write-lock-file']).success).toBe(true);
  });

  it('percent-encodes the path in {repoUrl}, so a space, # or ? cannot end it, and leaves {repo} as it is', () => {
    const odd = "/home/me/a b#c?d%e/it's";
    const argv = expandFullBuildCommand(['nix', 'build', '{repoUrl}?rev={rev}', '{repo}'], { ...values, repo: odd });
    expect(argv[2]).toBe(`git+file:///home/me/a%20b%23c%3Fd%25e/it's?rev=${rev}`);
    expect(argv[3]).toBe(odd);
    expect(decodeURIComponent(new URL(argv[2]!.slice('git+'.length)).pathname)).toBe(odd);
  });

  it.each([
    'feature/$HOME',
    'x;rm -rf ~',
    `quote'd"branch`,
    'amp$&and$1and$$',
    'sub$(touch pwned)`id`',
    'two words',
  ])('keeps the branch %j literal, in one argument', (branch) => {
    const argv = expandFullBuildCommand(['nix-build', '--argstr', 'branch', '{branch}', '--argstr', 'tag', 'b-{branch}-{rev}'], {
      ...values,
      branch,
    });
    expect(argv).toEqual(['nix-build', '--argstr', 'branch', branch, '--argstr', 'tag', `b-${branch}-${rev}`]);
  });

  it('never expands a value again (one pass)', () => {
    const argv = expandFullBuildCommand(['nix-build', '{branch}', '{repo}'], { rev, repo: '/r/{branch}', branch: 'x{rev}{repo}' });
    expect(argv).toEqual(['nix-build', 'x{rev}{repo}', '/r/{branch}']);
  });

  it('leaves unknown braces alone: Nix arguments use them', () => {
    const argv = expandFullBuildCommand(['nix-build', '--arg', 'config', '{ }', '--arg', 'f', '{x}: x', '{revision}', '{REV}'], values);
    expect(argv).toEqual(['nix-build', '--arg', 'config', '{ }', '--arg', 'f', '{x}: x', '{revision}', '{REV}']);
  });

  it('does not change the command it was given', () => {
    const argv = ['nix-build', '{rev}'];
    expandFullBuildCommand(argv, values);
    expect(argv).toEqual(['nix-build', '{rev}']);
  });

  it.each([
    [['sh', '-c', 'nix-build {rev}'], /starts with nix-build or nix/],
    [['nix', 'eval', '{rev}'], /starts with nix-build or nix/],
    [[], /not valid/],
    [['nix-build', 'a\0b'], /NUL/],
  ])('refuses the command %j', (argv, message) => {
    expect(() => expandFullBuildCommand(argv, values)).toThrow(message);
    expect(() => expandFullBuildCommand(argv, values)).toThrow(BuilderBarError);
  });

  it.each([
    [{ ...values, rev: 'HEAD' }, /full commit sha/],
    [{ ...values, rev: rev.slice(0, 12) }, /full commit sha/],
    [{ ...values, rev: `${rev}\n` }, /full commit sha/],
    [{ ...values, repo: 'relative/path' }, /absolute path/],
    [{ ...values, branch: '' }, /branch name/],
    [{ ...values, branch: 'a\0b' }, /branch name/],
  ])('refuses the values %j', (bad, message) => {
    expect(() => expandFullBuildCommand(['nix-build', '{rev}'], bad)).toThrow(message);
  });
});

describe('the shipped full-build commands', () => {
  it.each([{ name: 'default', command: DEFAULT_FULL_BUILD_COMMAND }, { name: 'flake', command: FLAKE_FULL_BUILD_COMMAND }])('the $name command fits the contract', ({ command }) => {
    expect(FullBuildCommandSchema.safeParse(command).success).toBe(true);
    expect(command.join(' ')).toContain('{rev}');
  });
});

describe('expandFullBuildCommand refuses what would run code', () => {
  it('refuses a forged command with --option and --expr, though it never passed a door', () => {
    const forged = ['nix-build', '--option', 'allow-unsafe-native-code-during-evaluation', 'true', '-E', 'builtins.exec ["sh" "-c" "id"]'];
    expect(() => expandFullBuildCommand(forged, values)).toThrow(/"--option" is not allowed/);
    expect(() => expandFullBuildCommand(forged, values)).toThrow(BuilderBarError);
  });

  it.each([['--option'], ['-E'], ['--expr=1']])('refuses a branch named %j wherever {branch} lands', (branch) => {
    for (const argv of [['nix-build', '{branch}'], ['nix-build', '{repo}', '--argstr', 'b', '{branch}']]) {
      expect(() => expandFullBuildCommand(argv, { ...values, branch })).toThrow(/\{branch\} is ".*", which starts with "-"/);
    }
  });

  it('still expands a branch with a dash inside, and ignores a dash-named branch the command does not use', () => {
    expect(expandFullBuildCommand(['nix-build', '{repo}', '--argstr', 'b', '{branch}'], { ...values, branch: 'fix--option' })).toContain('fix--option');
    expect(expandFullBuildCommand(['nix-build', '{repo}'], { ...values, branch: '--option' })).toEqual(['nix-build', repo]);
  });
});
