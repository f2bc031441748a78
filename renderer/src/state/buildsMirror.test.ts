import { describe, expect, it } from 'vitest';
import type { BuildView } from '../api/contract.js';
import { mergeBuild, orderBuilds, removeBuild, replaceBuilds, runningBuildCount } from './buildsMirror.js';

const build = (id: string, createdAt: number, state: BuildView['state'] = 'running', done = 0): BuildView => ({
  id,
  target: { kind: 'file', file: `/tmp/${id}.nix` },
  state,
  createdAt,
  endedAt: state === 'running' || state === 'waiting-for-builder' ? null : createdAt + 1_000,
  exitCode: null,
  signal: null,
  error: null,
  derivations: [],
  progress: { done, expected: 1, running: 0, failed: 0 },
  outputPaths: [],
});
const ids = (builds: BuildView[]): string[] => builds.map((b) => b.id);

describe('the mirrored build queue', () => {
  it('puts builds under way first, newest first, then finished ones newest first', () => {
    const ordered = orderBuilds([
      build('old-done', 1, 'succeeded'),
      build('old-running', 2),
      build('new-done', 5, 'failed'),
      build('waiting', 4, 'waiting-for-builder'),
    ]);
    expect(ids(ordered)).toEqual(['waiting', 'old-running', 'new-done', 'old-done']);
  });

  it('replaces a build by id and adds a new one in its place in the order', () => {
    let builds = [build('a', 1)];
    builds = mergeBuild(builds, build('b', 2));
    expect(ids(builds)).toEqual(['b', 'a']);
    builds = mergeBuild(builds, build('b', 2, 'succeeded', 1));
    expect(ids(builds)).toEqual(['a', 'b']);
    expect(builds.find((b) => b.id === 'b')).toMatchObject({ state: 'succeeded', progress: { done: 1 } });
    expect(builds).toHaveLength(2);
  });

  it('keeps a finished build finished when a late running view arrives', () => {
    const builds = mergeBuild([build('a', 1, 'cancelled')], build('a', 1, 'running'));
    expect(builds[0]!.state).toBe('cancelled');
  });

  it('drops a removed build and nothing else', () => {
    expect(ids(removeBuild([build('a', 1), build('b', 2)], 'a'))).toEqual(['b']);
    expect(ids(removeBuild([build('a', 1)], 'zzz'))).toEqual(['a']);
  });

  it('takes the listed queue as the truth, except a finish this window already saw', () => {
    const current = [build('gone', 9, 'succeeded'), build('a', 1, 'succeeded', 1)];
    const listed = [build('a', 1, 'running'), build('b', 3, 'waiting-for-builder')];
    const replaced = replaceBuilds(current, listed);
    expect(ids(replaced)).toEqual(['b', 'a']);
    expect(replaced[1]!.state).toBe('succeeded');
  });

  it('counts builds waiting for the builder or running', () => {
    expect(runningBuildCount([build('a', 1), build('b', 2, 'waiting-for-builder'), build('c', 3, 'failed')])).toBe(2);
  });
});
