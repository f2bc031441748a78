import { describe, expect, it } from 'vitest';
import { argumentsFromLines, checkAddDraft, checkEditDraft, draftFromRepo, emptyRepoDraft } from './repoDraft.js';
import { sampleRepo } from './sampleBaselines.js';

describe('argumentsFromLines', () => {
  it('makes one argument per line and never splits on spaces or quotes', () => {
    expect(argumentsFromLines('nix-build\n-A\nmy app\n--argstr\nrev\n{rev}\n')).toEqual(['nix-build', '-A', 'my app', '--argstr', 'rev', '{rev}']);
    expect(argumentsFromLines("nix\r\n'quoted; $(x)'\n\n")).toEqual(['nix', "'quoted; $(x)'"]);
  });
});

describe('checkAddDraft', () => {
  it('keeps quiet about an empty path until the user tried', () => {
    const quiet = checkAddDraft(emptyRepoDraft);
    expect(quiet.ok).toBe(false);
    expect(quiet.ok ? {} : quiet.errors).toEqual({});
    const loud = checkAddDraft(emptyRepoDraft, true);
    expect(loud.ok ? {} : loud.errors.path).toBeTruthy();
  });

  it('asks for an absolute path in the schema words', () => {
    const check = checkAddDraft({ ...emptyRepoDraft, path: 'src/app' });
    expect(check.ok ? null : check.errors.path).toBe('an absolute path');
  });

  it('adds with the day preset and leaves the defaults to the core', () => {
    expect(checkAddDraft({ ...emptyRepoDraft, path: '/src/app' })).toEqual({
      ok: true,
      repo: { path: '/src/app', intervalSeconds: 86_400, timeSource: 'wall-clock' },
    });
  });

  it('takes the week preset, a custom interval, a pattern and a command', () => {
    const week = checkAddDraft({ ...emptyRepoDraft, path: '/a', intervalPreset: 'week', timeSource: 'tip-commit', branchPattern: 'release/*' });
    expect(week).toMatchObject({ ok: true, repo: { intervalSeconds: 604_800, timeSource: 'tip-commit', branchPattern: 'release/*' } });
    const custom = checkAddDraft({ ...emptyRepoDraft, path: '/a', intervalPreset: 'custom', customSeconds: '3600', fullBuild: 'nix-build\n{repo}' });
    expect(custom).toMatchObject({ ok: true, repo: { intervalSeconds: 3600, fullBuild: ['nix-build', '{repo}'] } });
  });

  it('explains a bad interval, pattern and command on their own fields', () => {
    const check = checkAddDraft({ ...emptyRepoDraft, path: '/a', intervalPreset: 'custom', customSeconds: '1.5', branchPattern: '-x', fullBuild: 'make\nall' });
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.errors.customSeconds).toBe('a whole number of seconds');
    expect(check.errors.branchPattern).toBe('a pattern must not start with "-"');
    expect(check.errors.fullBuild).toMatch(/^the command starts with nix-build/);
    const short = checkAddDraft({ ...emptyRepoDraft, path: '/a', intervalPreset: 'custom', customSeconds: '10' });
    expect(short.ok ? null : short.errors.customSeconds).toBe('at least 60 seconds');
  });
});

describe('checkEditDraft', () => {
  it('round-trips a repository and turns an emptied pattern into every branch', () => {
    const repo = sampleRepo({ id: 'app', repo: { branchPattern: 'release/*', intervalSeconds: 7_200 } }).repo;
    const draft = draftFromRepo(repo);
    expect(draft.intervalPreset).toBe('custom');
    expect(checkEditDraft(draft)).toEqual({
      ok: true,
      patch: { intervalSeconds: 7_200, timeSource: 'wall-clock', branchPattern: 'release/*', fullBuild: repo.fullBuild },
    });
    expect(checkEditDraft({ ...draft, branchPattern: ' ' })).toMatchObject({ ok: true, patch: { branchPattern: null } });
  });

  it('refuses an emptied command', () => {
    const check = checkEditDraft({ ...draftFromRepo(sampleRepo({ id: 'app' }).repo), fullBuild: '\n' });
    expect(check.ok ? null : check.errors.fullBuild).toBeTruthy();
  });
});
