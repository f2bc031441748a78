import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ActivityStreamParser, parseActivityLine, stripAnsi, type ActivityEvent } from './activityParser.js';

const fixturesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const FIXTURES = ['local-success', 'local-failure', 'local-several', 'remote-several', 'remote-failure'];

function fixtureLines(name: string): string[] {
  return readFileSync(path.join(fixturesDir, `${name}.jsonl`), 'utf8').split('\n').filter((line) => line !== '');
}

describe('parseActivityLine on the recorded streams', () => {
  it.each(FIXTURES)('%s: every @nix line parses to a typed event, none is left as plain text', (name) => {
    for (const line of fixtureLines(name)) {
      const event = parseActivityLine(line);
      if (line.startsWith('@nix ')) expect(event.kind, line).not.toBe('plain');
      if (event.kind === 'start') expect(event.activity.type, line).not.toBe('other');
      if (event.kind === 'result') expect(event.result.type, line).not.toBe('other');
    }
  });

  it('reads a remote build activity: drv path, machine, rounds', () => {
    const starts = fixtureLines('remote-several').map(parseActivityLine).filter((event) => event.kind === 'start');
    const builds = starts.flatMap((event) => (event.activity.type === 'build' ? [event.activity] : []));
    expect(builds.map((build) => build.drvPath.replace(/^.*?-/, ''))).toEqual(['bb-left.drv', 'bb-right.drv', 'bb-joined.drv']);
    for (const build of builds) expect(build).toMatchObject({ machine: 'ssh://builder-bar-test', curRound: 1, nrRounds: 1 });
    const copies = starts.flatMap((event) => (event.activity.type === 'copy-path' ? [event.activity] : []));
    expect(copies).toHaveLength(3);
    expect(copies[0]).toMatchObject({ path: expect.stringMatching(/-bb-left$/), from: 'ssh://builder-bar-test', to: 'local' });
  });

  it('reads a local build (machine empty), its log lines and the builds progress', () => {
    const events = fixtureLines('local-success').map(parseActivityLine);
    const build = events.find((event) => event.kind === 'start' && event.activity.type === 'build');
    expect(build).toMatchObject({ kind: 'start', level: 3, activity: { type: 'build', machine: '' } });
    const lines = events.flatMap((event) => (event.kind === 'result' && event.result.type === 'build-log-line' ? [event.result.line] : []));
    expect(lines).toEqual(['building success', 'a line on stderr']);
    const progress = events.flatMap((event) => (event.kind === 'result' && event.result.type === 'progress' ? [event.result] : []));
    expect(progress).toContainEqual({ type: 'progress', done: 1, expected: 1, running: 0, failed: 0 });
  });

  it('strips ANSI from an error message but keeps the raw text', () => {
    const error = fixtureLines('local-failure').map(parseActivityLine).find((event) => event.kind === 'msg' && event.level === 0);
    expect(error?.kind).toBe('msg');
    if (error?.kind !== 'msg') return;
    expect(error.text).toMatch(/^error: builder for '\/nix\/store\/[0-9a-z]{32}-bb-failure\.drv' failed with exit code 1$/);
    expect(error.raw).toContain('\u001b[31;1m');
  });

  it('turns anything that is not a well-formed @nix event into plain text, never an exception', () => {
    const odd = [
      'warning: unknown setting',
      '@nix {not json',
      '@nix []',
      '@nix {"action":"start"}',
      '@nix {"action":"dance","id":1}',
      '@nix {"action":"msg","level":1}',
      '',
    ];
    for (const line of odd) expect(parseActivityLine(line)).toEqual({ kind: 'plain', text: line });
  });

  it('keeps unknown activity and result types with their fields', () => {
    expect(parseActivityLine('@nix {"action":"start","id":7,"level":3,"text":"x","type":999,"fields":["a",2]}')).toMatchObject({
      kind: 'start',
      activity: { type: 'other', activityType: 999, fields: ['a', 2] },
    });
    expect(parseActivityLine('@nix {"action":"result","id":7,"type":104,"fields":["buildPhase"]}')).toEqual({
      kind: 'result',
      id: 7,
      result: { type: 'set-phase', phase: 'buildPhase' },
    });
  });

  it('stripAnsi removes colours and OSC hyperlinks', () => {
    expect(stripAnsi('\u001b[35;1mred\u001b[0m \u001b]8;;http://x\u0007link\u001b]8;;\u0007')).toBe('red link');
  });
});

describe('ActivityStreamParser', () => {
  it('gives the same events whether the stream arrives whole or in byte-sized pieces (UTF-8 split too)', () => {
    const text = `${fixtureLines('remote-several').join('\n')}\nplain ünïcode line\n@nix {"action":"stop","id":1}`;
    const whole = new ActivityStreamParser();
    const expected = [...whole.push(text), ...whole.end()];
    const bytes = new TextEncoder().encode(text);
    const pieces = new ActivityStreamParser();
    const got: ActivityEvent[] = [];
    for (let offset = 0; offset < bytes.length; offset += 7) got.push(...pieces.push(bytes.subarray(offset, offset + 7)));
    got.push(...pieces.end());
    expect(got).toEqual(expected);
    expect(got).toContainEqual({ kind: 'plain', text: 'plain ünïcode line' });
    expect(got[got.length - 1]).toEqual({ kind: 'stop', id: 1 });
  });
});
