import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BuildView } from '../../ipc/contract.js';
import { PREBUILDS_FILE, PrebuildRecords } from './prebuildRecords.js';

const sha = 'a'.repeat(40);
const argv = ['nix-build', '{repo}/default.nix', '--argstr', 'rev', '{rev}'];

function view(id: string, state: BuildView['state'], outputPaths: string[] = [], error: string | null = null): BuildView {
  return {
    id,
    target: { kind: 'baseline', repoId: 'app', branch: 'main', rev: sha, argv },
    state,
    createdAt: 1,
    endedAt: null,
    exitCode: null,
    signal: null,
    error,
    derivations: [],
    progress: { done: 0, expected: 0, running: 0, failed: 0 },
    outputPaths,
  };
}

describe('PrebuildRecords', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'prebuilds-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('follows a build from queued to built and keeps it across a restart, 0600', async () => {
    const records = new PrebuildRecords(dir);
    await records.load();
    await records.started('app', sha, argv, 'b1');
    expect(PrebuildRecords.view(records.find('app', sha, argv), false).state).toBe('queued');
    expect(await records.follow(view('b1', 'running'))).toBe(true);
    expect(await records.follow(view('b1', 'running'))).toBe(false);
    await records.follow(view('b1', 'succeeded', ['/nix/store/xyz-full']));
    const again = new PrebuildRecords(dir);
    await again.load();
    expect(PrebuildRecords.view(again.find('app', sha, argv), true)).toEqual({ state: 'built', buildId: 'b1', outPath: '/nix/store/xyz-full', message: null });
    expect(PrebuildRecords.view(again.find('app', sha, argv), false).state).toBe('gone');
    expect((await stat(path.join(dir, PREBUILDS_FILE))).mode & 0o777).toBe(0o600);
  });

  it('treats another full-build command as not built, and ignores builds it did not start', async () => {
    const records = new PrebuildRecords(dir);
    await records.started('app', sha, argv, 'b1');
    await records.follow(view('b1', 'succeeded', ['/nix/store/xyz-full']));
    expect(records.find('app', sha, [...argv, '-A', 'other'])).toBeNull();
    expect(await records.follow(view('someone-else', 'succeeded'))).toBe(false);
  });

  it('says why a prebuild failed', async () => {
    const records = new PrebuildRecords(dir);
    await records.started('app', sha, argv, 'b2');
    await records.follow(view('b2', 'failed', [], 'builder for /nix/store/…-full.drv failed with exit code 1'));
    expect(PrebuildRecords.view(records.find('app', sha, argv), false)).toMatchObject({ state: 'failed', message: expect.stringContaining('exit code 1') });
  });

  it('moves a malformed file aside instead of losing it silently', async () => {
    await writeFile(path.join(dir, PREBUILDS_FILE), '{ not json');
    const records = new PrebuildRecords(dir, () => 42);
    expect(await records.load()).toEqual({ movedAsideTo: path.join(dir, `${PREBUILDS_FILE}.malformed-42`) });
    expect(await readFile(path.join(dir, `${PREBUILDS_FILE}.malformed-42`), 'utf8')).toBe('{ not json');
  });
});
