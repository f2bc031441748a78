import { describe, expect, it } from 'vitest';
import { ExternalBuildStreams } from './externalBuildStream.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fixtureLines, fixturesDir, fixtureVersions, type FixtureCase } from './testing/fixtures.js';

/**
 * A recorded `--log-format internal-json` stream as json-log-path writes it: no `@nix ` prefix.
 * Only Nix >= 2.30 has json-log-path, so the newest recording is what it would send.
 */
function records(name: FixtureCase): string[] {
  const newest = fixtureVersions().at(-1);
  if (!newest) throw new Error('no recorded fixtures: run testing/recordFixtures.ts');
  return fixtureLines(name, newest).map((line) => line.replace(/^@nix /, ''));
}

function tick(): () => number {
  let now = 1_000;
  return () => (now += 10);
}

function feed(streams: ExternalBuildStreams, connection: number, lines: string[]): void {
  for (const line of lines) streams.line(connection, line);
}

describe('ExternalBuildStreams', () => {
  it('a daemon worker\'s build shows as external, on the builder, with its log, and succeeds when the worker ends', () => {
    const logged: string[] = [];
    const streams = new ExternalBuildStreams({ now: tick(), onLogLine: (_id, name, line) => logged.push(`${name}> ${line}`) });
    feed(streams, 1, records('remote-several'));
    const [running] = streams.list();
    expect(running).toMatchObject({ source: 'external', target: { kind: 'external' } });
    streams.closed(1);
    const views = streams.list();
    expect(views).toHaveLength(1);
    const view = views[0]!;
    expect(view.state).toBe('succeeded');
    expect(view.derivations.map((d) => [d.name, d.state, d.machine]).sort()).toEqual([
      ['bb-joined', 'done', 'ssh://builder-bar-test'],
      ['bb-left', 'done', 'ssh://builder-bar-test'],
      ['bb-right', 'done', 'ssh://builder-bar-test'],
    ]);
    expect(view.target).toEqual({ kind: 'external', description: expect.stringMatching(/^bb-\w+ and 2 more$/) as unknown as string });
    const joined = view.derivations.find((d) => d.name === 'bb-joined')!;
    expect(streams.log(view.id, joined.drvPath)?.lines).toContain('building joined');
    expect(logged).toContain('bb-joined> building joined');
  });

  it('a client echoing its daemon\'s activities adds no second build; the copies are counted as duplicates', () => {
    const streams = new ExternalBuildStreams({ now: tick() });
    const lines = records('remote-several');
    // The daemon writes first, then the client writes what the daemon forwarded to it.
    for (const line of lines) {
      streams.line(1, line);
      streams.line(2, line);
    }
    streams.closed(2);
    streams.closed(1);
    const views = streams.list();
    expect(views).toHaveLength(1);
    expect(views[0]!.derivations.every((d) => d.state === 'done')).toBe(true);
    const joined = views[0]!.derivations.find((d) => d.name === 'bb-joined')!;
    expect(streams.log(views[0]!.id, joined.drvPath)?.lines.filter((line) => line === 'building joined')).toHaveLength(1);
    expect(streams.counts().duplicates).toBeGreaterThan(0);
  });

  it('malformed and truncated records are skipped and counted, and the build around them still shows', () => {
    const streams = new ExternalBuildStreams({ now: tick() });
    const lines = records('remote-several');
    const junk = ['{"action":"start","id":1', 'not json at all', '[1,2,3]', '{"action":"result","id":"x"}', '\u0000\u0001garbage', '{"action":"start","id":7,"type":"105"}'];
    const mixed = lines.flatMap((line, index) => (index % 10 === 3 ? [junk[index % junk.length]!, line] : [line]));
    expect(() => feed(streams, 1, mixed)).not.toThrow();
    streams.line(1, lines[lines.length - 1]!.slice(0, 20)); // cut off by the end of the connection
    streams.closed(1);
    expect(streams.counts().malformed).toBe(mixed.length - lines.length + 1);
    expect(streams.counts().records).toBe(lines.length);
    expect(streams.list()[0]!.derivations).toHaveLength(3);
  });

  it('a connection that ends mid-build leaves the build failed, saying the Nix process ended first', () => {
    const streams = new ExternalBuildStreams({ now: tick() });
    const lines = records('remote-several');
    // Up to the start of the first derivation's build (activity type 105), before anything ends.
    const firstBuild = lines.findIndex((line) => {
      const record = JSON.parse(line) as { action?: string; type?: number };
      return record.action === 'start' && record.type === 105;
    });
    expect(firstBuild).toBeGreaterThan(0);
    feed(streams, 1, lines.slice(0, firstBuild + 1));
    expect(streams.list()[0]!.state).toBe('running');
    streams.closed(1);
    const view = streams.list()[0]!;
    expect(view.state).toBe('failed');
    expect(view.error).toMatch(/ended before this build did/);
    expect(view.derivations.some((d) => d.reason?.includes('ended before this build did'))).toBe(true);
  });

  it('a connection that never builds (nix eval, path-info) shows nothing; two builds on one connection show as two', () => {
    const streams = new ExternalBuildStreams({ now: tick() });
    feed(streams, 1, [
      '{"action":"start","id":5,"level":6,"parent":0,"text":"querying info about missing paths","type":0}',
      '{"action":"stop","id":5}',
      '{"action":"msg","level":3,"msg":"hello"}',
    ]);
    streams.closed(1);
    expect(streams.list()).toEqual([]);
    const renumber = (lines: string[], offset: number) => lines.map((line) => line.replace(/"id":(\d+)/, (_m, id: string) => `"id":${Number(id) + offset}`));
    const once = records('local-success');
    feed(streams, 3, [...once, ...renumber(once, 1_000_000)]);
    streams.closed(3);
    expect(streams.list()).toHaveLength(2);
    expect(streams.list().every((view) => view.state === 'succeeded' && view.derivations[0]?.machine === 'local')).toBe(true);
  });

  it('an import from a derivation built during evaluation, then the build: each derivation in its own build, none left waiting', () => {
    // `nix build -f ifd.nix` with Nix 2.34.8 reading json-log-path (a file, to record it): the
    // derivation `import` needs is built first, then Nix lists the main one and builds it.
    const lines = readFileSync(path.join(fixturesDir, 'ifd-then-build.nix-2.34.8.json-log'), 'utf8').split('\n');
    const streams = new ExternalBuildStreams({ now: tick() });
    feed(streams, 1, lines);
    streams.closed(1);
    const views = streams.list();
    expect(views.map((view) => view.derivations.map((derivation) => [derivation.name, derivation.state]))).toEqual([
      [['bb-ifd-main-from-ifd', 'done']],
      [['bb-ifd-gen', 'done']],
    ]);
    expect(views[0]?.progress).toEqual({ done: 1, expected: 1, running: 0, failed: 0 });
  });

  it('keeps only the newest finished builds and reports the ones it let go', () => {
    const streams = new ExternalBuildStreams({ now: tick(), maxFinished: 2 });
    const once = records('local-success');
    for (let connection = 1; connection <= 4; connection += 1) {
      feed(streams, connection, once.map((line) => line.replace(/"id":(\d+)/, (_m, id: string) => `"id":${Number(id) + connection * 1_000_000}`)));
      streams.closed(connection);
    }
    const { removed } = streams.takeChanges();
    expect(streams.list()).toHaveLength(2);
    expect(removed).toHaveLength(2);
  });
});
