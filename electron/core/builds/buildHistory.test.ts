import { mkdtempSync, promises as fs, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BuildHistory } from './buildHistory.js';
import type { BuildSummary } from './buildRunner.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bb-history-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function summary(index: number): BuildSummary {
  return {
    id: `build-${index}`,
    target: { kind: 'file', file: '/src/default.nix', attr: 'hello' },
    state: index % 2 === 0 ? 'succeeded' : 'failed',
    createdAt: index,
    endedAt: index + 1,
    exitCode: index % 2 === 0 ? 0 : 100,
    signal: null,
    error: index % 2 === 0 ? null : 'Nix exited with code 100: builder failed',
    derivations: [{ drvPath: `/nix/store/${'a'.repeat(32)}-x.drv`, name: 'x', state: 'done', machine: 'ssh://b', phase: null, reason: null, startedAt: 1, endedAt: 2 }],
    progress: { done: 1, expected: 1, running: 0, failed: 0 },
    outputPaths: [`/nix/store/${'b'.repeat(32)}-x`],
  };
}

describe('BuildHistory', () => {
  it('keeps the newest 200 across a restart, in a 0600 file, and says which ones it let go', async () => {
    const history = new BuildHistory(dir);
    const removed: string[] = [];
    for (let index = 0; index < 203; index++) removed.push(...(await history.add(summary(index))));
    expect(removed).toEqual(['build-0', 'build-1', 'build-2']);
    expect(statSync(history.file).mode & 0o777).toBe(0o600);

    const reopened = new BuildHistory(dir);
    const loaded = await reopened.load();
    expect(loaded.movedAside).toBeNull();
    expect(loaded.builds).toHaveLength(200);
    expect(loaded.builds[0]).toEqual(summary(202));
    expect(loaded.builds[199]?.id).toBe('build-3');
  });

  it('starts empty when there is no file', async () => {
    expect(await new BuildHistory(dir).load()).toEqual({ builds: [], movedAside: null });
  });

  it.each([
    ['not JSON', '{"version":1,"builds":[', /not JSON/],
    ['the wrong shape', '{"version":1,"builds":[{"id":3}]}', /unexpected shape/],
  ])('moves a file that is %s aside, byte for byte, and starts empty', async (_what, content, reason) => {
    const history = new BuildHistory(dir, 200, () => 1234);
    await fs.writeFile(history.file, content);
    const loaded = await history.load();
    expect(loaded.builds).toEqual([]);
    expect(loaded.movedAside?.to).toBe(`${history.file}.malformed-1234`);
    expect(loaded.movedAside?.reason).toMatch(reason);
    expect(await fs.readFile(`${history.file}.malformed-1234`, 'utf8')).toBe(content);
    await history.add(summary(1));
    expect((await new BuildHistory(dir).load()).builds.map((build) => build.id)).toEqual(['build-1']);
  });
});
