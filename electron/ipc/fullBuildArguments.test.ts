import { describe, expect, it } from 'vitest';
import { AddTrackedRepoSchema, FullBuildCommandSchema, TrackedRepoSchema } from './baselinesContract.js';

/** The messages a door would answer with, or [] when the command is accepted. */
function refusal(argv: string[]): string[] {
  const parsed = FullBuildCommandSchema.safeParse(argv);
  return parsed.success ? [] : parsed.error.issues.map((issue) => issue.message);
}

describe('the full-build command a door accepts', () => {
  it.each([
    [['nix-build', '{repo}/nix/incremental.nix', '--argstr', 'baselineRev', '{rev}', '-A', 'full', '--no-out-link']],
    [['nix-build', '{repo}', '--attr', 'packages.x86_64-linux.app', '--arg', 'config', '{ }', '--arg', 'f', '{x}: x']],
    [['nix', 'build', '--extra-experimental-features', 'nix-command flakes', '{repoUrl}#full', '--override-input', 'baseline', '{repoUrl}?rev={rev}', '--no-link']],
    [['nix', 'build', '{repoUrl}#full', '--argstr', 'branch', '{branch}']],
    // The forms the README and the templates show.
    [['nix-build', '{repo}/nix/incremental.nix', '--argstr', 'baselineRev', '{rev}', '-A', 'incremental']],
    [['nix', 'build', '{repoUrl}#full', '--override-input', 'baseline', '{repoUrl}?rev={rev}&allRefs=1']],
    // A value is consumed as a value, even when it starts with "-" (it was typed, not expanded).
    [['nix-build', '{repo}', '--argstr', 'flags', '-O2']],
  ])('accepts %j', (argv) => {
    expect(refusal(argv)).toEqual([]);
  });

  it('refuses the audit\'s command: an unsafe setting and an inline expression', () => {
    const messages = refusal(['nix-build', '--option', 'allow-unsafe-native-code-during-evaluation', 'true', '-E', 'builtins.exec ["touch" "/tmp/pwned"]']);
    expect(messages.join('\n')).toMatch(/"--option" is not allowed in a full-build command/);
    expect(messages.join('\n')).toMatch(/"-E" is not allowed/);
    expect(messages.join('\n')).toMatch(/allowed: -A\/--attr NAME/);
  });

  it.each([
    ['--option', ['nix-build', '{repo}', '--option', 'builders', '']],
    ['--expr', ['nix-build', '--expr', '(import <nixpkgs> {}).hello']],
    ['--store', ['nix', 'build', '{repoUrl}#full', '--store', '/tmp/store']],
    ['-I', ['nix-build', '-I', 'nixpkgs=/tmp/evil', '{repo}']],
    ['-o', ['nix-build', '{repo}', '-o', '/home/me/.bashrc']],
    ['--out-link', ['nix-build', '{repo}', '--out-link', '/home/me/.bashrc']],
    ['--impure', ['nix', 'build', '{repoUrl}#full', '--impure']],
    ['--builders', ['nix-build', '{repo}', '--builders', 'ssh://evil']],
    ['-Afull', ['nix-build', '{repo}', '-Afull']],
    ['--', ['nix-build', '--', '{repo}']],
  ])('refuses %s, naming it', (name, argv) => {
    const messages = refusal(argv);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(`"${name}"`);
  });

  it('refuses the --name=value form of an allowed option with a hint, and of a refused one as refused', () => {
    expect(refusal(['nix-build', '{repo}', '--attr=full'])[0]).toMatch(/"--attr=full": give the value of --attr as its own argument/);
    expect(refusal(['nix-build', '{repo}', '--option=x'])[0]).toMatch(/"--option" is not allowed/);
  });

  it('refuses an option without its values', () => {
    expect(refusal(['nix-build', '{repo}', '--argstr', 'rev'])[0]).toMatch(/--argstr needs 2 values/);
    expect(refusal(['nix-build', '{repo}', '-A'])[0]).toMatch(/-A needs a value/);
  });

  it('refuses a placeholder inside a Nix expression, where a branch name would become code', () => {
    expect(refusal(['nix-build', '{repo}', '--arg', 'branch', '"{branch}"'])[0]).toMatch(/--arg takes a Nix expression.*--argstr/);
  });

  it('allows only known experimental features', () => {
    expect(refusal(['nix', 'build', '--extra-experimental-features', 'nix-command  flakes ca-derivations', '.#x'])).toEqual([]);
    expect(refusal(['nix', 'build', '--extra-experimental-features', 'flakes recursive-nix', '.#x'])[0]).toMatch(/only nix-command, flakes/);
    expect(refusal(['nix', 'build', '--extra-experimental-features', '', '.#x'])).toHaveLength(1);
  });

  it('says which line of the form is wrong (the issue path is the argument index)', () => {
    const parsed = FullBuildCommandSchema.safeParse(['nix-build', '{repo}', '--impure']);
    expect(parsed.success ? null : parsed.error.issues[0]!.path).toEqual([2]);
    const added = AddTrackedRepoSchema.safeParse({ path: '/a', fullBuild: ['nix-build', '{repo}', '--impure'] });
    expect(added.success ? null : added.error.issues[0]!.path).toEqual(['fullBuild', 2]);
  });

  it('refuses a stored tracked repository with a forbidden option (every door and the settings file use this schema)', () => {
    const repo = { id: 'app', path: '/a', intervalSeconds: 86_400, timeSource: 'wall-clock', branchPattern: null, fullBuild: ['nix-build', '{repo}', '--option', 'x', 'y'] };
    expect(TrackedRepoSchema.safeParse(repo).success).toBe(false);
  });
});
