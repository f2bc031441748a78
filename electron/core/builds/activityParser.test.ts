import { describe, expect, it } from 'vitest';
import { ActivityStreamParser, parseActivityJson, parseActivityLine, stripAnsi, type ActivityEvent } from './activityParser.js';
import { FIXTURE_CASES, fixtureLines, fixtureVersions } from './testing/fixtures.js';

const versions = fixtureVersions();

describe('the recorded fixtures', () => {
  it('hold a set from Nix 2.8 and one from a current Nix (2.3x or later)', () => {
    expect(versions[0]).toMatch(/^2\.8\./);
    expect(versions.some((version) => /^2\.(?:[3-9]\d)\./.test(version))).toBe(true);
  });
});

describe.each(versions)('parseActivityLine on the streams recorded from Nix %s', (version) => {
  const lines = (name: (typeof FIXTURE_CASES)[number]) => fixtureLines(name, version);

  it.each(FIXTURE_CASES)('%s: every @nix line parses to a typed event; none is plain text or unknown', (name) => {
    for (const line of lines(name)) {
      const event = parseActivityLine(line);
      if (line.startsWith('@nix ')) expect(event.kind, line).not.toBe('plain');
      if (event.kind === 'start') expect(event.activity.type, line).not.toBe('unknown');
      if (event.kind === 'result') expect(event.result.type, line).not.toBe('unknown');
    }
  });

  it('reads a remote build activity: drv path, machine, rounds; the copies back', () => {
    const starts = lines('remote-several').map(parseActivityLine).filter((event) => event.kind === 'start');
    const builds = starts.flatMap((event) => (event.activity.type === 'build' ? [event.activity] : []));
    expect(builds.map((build) => build.drvPath.replace(/^.*?-/, '')).sort()).toEqual(['bb-joined.drv', 'bb-left.drv', 'bb-right.drv']);
    for (const build of builds) expect(build).toMatchObject({ machine: 'ssh://builder-bar-test', curRound: 1, nrRounds: 1 });
    const copies = starts.flatMap((event) => (event.activity.type === 'copy-path' ? [event.activity] : []));
    expect(copies).toHaveLength(3);
    for (const copy of copies) expect(copy).toMatchObject({ path: expect.stringMatching(/-bb-(left|right|joined)$/), from: 'ssh://builder-bar-test', to: 'local' });
  });

  it('reads the wait for a machine, naming the derivation', () => {
    const waits = lines('remote-several').map(parseActivityLine).flatMap((event) => (event.kind === 'start' && event.activity.type === 'build-waiting' ? [event] : []));
    expect(waits.length).toBeGreaterThan(0);
    for (const wait of waits) {
      expect(wait.text).toMatch(/^waiting for a machine to build '\/nix\/store\/[0-9a-z]{32}-bb-\w+\.drv'$/);
      expect(wait.activity).toEqual({ type: 'build-waiting', drvPath: wait.text.slice(wait.text.indexOf("'") + 1, -1) });
    }
  });

  it('reads a local build (machine empty), its log lines and the builds progress', () => {
    const events = lines('local-success').map(parseActivityLine);
    const build = events.find((event) => event.kind === 'start' && event.activity.type === 'build');
    expect(build).toMatchObject({ kind: 'start', level: 3, activity: { type: 'build', machine: '' } });
    const logLines = events.flatMap((event) => (event.kind === 'result' && event.result.type === 'build-log-line' ? [event.result.line] : []));
    expect(logLines).toEqual(['building success', 'a line on stderr']);
    const progress = events.flatMap((event) => (event.kind === 'result' && event.result.type === 'progress' ? [event.result] : []));
    expect(progress).toContainEqual(expect.objectContaining({ type: 'progress', done: 1, running: 0, failed: 0 }));
  });

  it('a failed build\'s error: ANSI stripped from the text, the raw kept, one line without the label as its message', () => {
    const error = lines('local-failure').map(parseActivityLine).filter((event) => event.kind === 'msg' && event.level === 0).at(-1);
    expect(error?.kind).toBe('msg');
    if (error?.kind !== 'msg') return;
    expect(error.text).toMatch(/^error: .*\/nix\/store\/[0-9a-z]{32}-bb-failure\.drv.*failed with exit code 1/s);
    expect(error.raw).toContain('\u001b[31;1m');
    expect(error.message).not.toMatch(/^error|\n|\u001b/);
    expect(error.message).toMatch(/'\/nix\/store\/[0-9a-z]{32}-bb-failure\.drv'.* failed with exit code 1/);
    // Nix sends null positions for an error that is not about a Nix file.
    expect(error.position).toBeNull();
  });
});

describe('parseActivityLine on what a recording does not hold', () => {
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

  it('keeps a type no Nix sends yet as unknown, with its number, text and fields', () => {
    expect(parseActivityLine('@nix {"action":"start","id":7,"level":3,"parent":0,"text":"frobnicating","type":115,"fields":["a",2]}')).toEqual({
      kind: 'start',
      id: 7,
      level: 3,
      text: 'frobnicating',
      parent: null,
      activity: { type: 'unknown', activityType: 115, fields: ['a', 2], why: 'new-type' },
    });
    expect(parseActivityLine('@nix {"action":"result","id":7,"type":120,"fields":[1,"x"]}')).toEqual({
      kind: 'result',
      id: 7,
      result: { type: 'unknown', resultType: 120, fields: [1, 'x'], why: 'new-type' },
    });
    // A known type with fields it never had is not silently taken for something else.
    expect(parseActivityLine('@nix {"action":"start","id":8,"level":3,"text":"x","type":105,"fields":[1]}')).toMatchObject({
      activity: { type: 'unknown', activityType: 105, why: 'odd-fields' },
    });
  });

  it('reads what Nix 2.20 and later added: fetch-tree, fetch status, fetch-to-store, and a post-build hook', () => {
    expect(parseActivityLine('@nix {"action":"start","id":9,"level":4,"parent":0,"text":"fetching Git repository \'x\'","type":112}')).toMatchObject({ activity: { type: 'fetch-tree' } });
    expect(parseActivityLine('@nix {"action":"result","id":9,"type":108,"fields":["Receiving objects: 50%"]}')).toMatchObject({ result: { type: 'fetch-status', line: 'Receiving objects: 50%' } });
    expect(parseActivityLine('@nix {"action":"start","id":10,"level":3,"parent":0,"text":"","type":113,"fields":["/src",1]}')).toMatchObject({
      activity: { type: 'fetch-to-store', path: '/src', hashOnly: true },
    });
    expect(parseActivityLine('@nix {"action":"result","id":10,"type":109,"fields":["/nix/store/x-src"]}')).toMatchObject({ result: { type: 'fetch-to-store', path: '/nix/store/x-src' } });
    const drv = `/nix/store/${'a'.repeat(32)}-x.drv`;
    expect(parseActivityLine(`@nix {"action":"start","id":11,"level":4,"parent":3,"text":"running post-build-hook","type":110,"fields":["${drv}"]}`)).toMatchObject({
      parent: 3,
      activity: { type: 'post-build-hook', drvPath: drv },
    });
    expect(parseActivityLine('@nix {"action":"result","id":11,"type":107,"fields":["uploading"]}')).toMatchObject({ result: { type: 'post-build-log-line', line: 'uploading' } });
  });

  it('an evaluation error keeps its position and its one-line message from raw_msg', () => {
    const line = '@nix {"action":"msg","column":5,"file":"/tmp/x.nix","level":0,"line":3,"msg":"\\u001b[31;1merror:\\u001b[0m undefined variable \'y\'\\n       at /tmp/x.nix:3:5:","raw_msg":"undefined variable \'\\u001b[35;1my\\u001b[0m\'"}';
    expect(parseActivityLine(line)).toMatchObject({ kind: 'msg', level: 0, message: "undefined variable 'y'", position: { file: '/tmp/x.nix', line: 3, column: 5 } });
    // 2.8's plain messages have no raw_msg: the label is dropped from the text instead.
    expect(parseActivityLine('@nix {"action":"msg","level":1,"msg":"warning: \\u001b[1mslow\\u001b[0m   disk"}')).toMatchObject({ message: 'slow disk', position: null });
  });

  it('keeps activity ids past 2^53 exact (Nix ids are counter + pid << 32; Linux pids reach 2^22)', () => {
    // pid 3000001: ids 12884906182967297 and ...298 are one number to JSON.parse.
    const a = parseActivityJson('{"action":"stop","id":12884906182967297}');
    const b = parseActivityJson('{"action":"result","fields":["x"],"id":12884906182967298,"type":101}');
    expect(a).toEqual({ kind: 'stop', id: '12884906182967297' });
    expect(b).toMatchObject({ kind: 'result', id: '12884906182967298' });
    expect(parseActivityLine('@nix {"action":"start","id":12884906182967299,"level":0,"parent":12884906182967297,"text":"","type":104}')).toMatchObject({
      id: '12884906182967299',
      parent: '12884906182967297',
    });
    // A log line that spells out a record does not fool the reading of the real id.
    expect(parseActivityJson('{"action":"result","fields":["\\",\\"id\\":5,"],"id":12884906182967301,"type":101}')).toMatchObject({ id: '12884906182967301' });
    // Small ids stay numbers.
    expect(parseActivityJson('{"action":"stop","id":9007199254740991}')).toEqual({ kind: 'stop', id: 9007199254740991 });
  });

  it('reads json-log-path records, which carry no "@nix " prefix', () => {
    expect(parseActivityJson('{"action":"stop","id":4}')).toEqual({ kind: 'stop', id: 4 });
    expect(parseActivityJson('{"action":"stop"')).toEqual({ kind: 'plain', text: '{"action":"stop"' });
  });

  it('stripAnsi removes colours and OSC hyperlinks', () => {
    expect(stripAnsi('\u001b[35;1mred\u001b[0m \u001b]8;;http://x\u0007link\u001b]8;;\u0007')).toBe('red link');
  });
});

describe.each(versions)('ActivityStreamParser on Nix %s', (version) => {
  it('gives the same events whether the stream arrives whole or in byte-sized pieces (UTF-8 split too)', () => {
    const text = `${fixtureLines('remote-several', version).join('\n')}\nplain ünïcode line\n@nix {"action":"stop","id":1}`;
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

describe('ActivityStreamParser line ends', () => {
  it('reads CRLF line ends alike, the last line (no newline, read at the end) included', () => {
    const parser = new ActivityStreamParser();
    const events = [...parser.push('@nix {"action":"stop","id":5}\r\nwarning: plain\r\nlast words\r'), ...parser.end()];
    expect(events).toEqual([{ kind: 'stop', id: 5 }, { kind: 'plain', text: 'warning: plain' }, { kind: 'plain', text: 'last words' }]);
  });
});

describe('ActivityStreamParser on a very long line', () => {
  // How the cost grows with the line's length (it was quadratic) is `npm run bench`'s (section `scale`).
  it('takes a 20 MB build log line in 64 KiB pieces whole (a builder printing a minified file)', () => {
    const parser = new ActivityStreamParser();
    const piece = new Uint8Array(64 * 1024).fill(0x61);
    const events: ActivityEvent[] = [];
    events.push(...parser.push('@nix {"action":"result","id":5,"type":101,"fields":["'));
    for (let index = 0; index < 320; index++) events.push(...parser.push(piece));
    events.push(...parser.push('"]}\n@nix {"action":"stop","id":5}\n'));
    expect(events).toHaveLength(2);
    const [first] = events;
    const line = first?.kind === 'result' && first.result.type === 'build-log-line' ? first.result.line : null;
    expect(line?.length).toBe(20 * 1024 * 1024);
    expect(line?.replaceAll('a', '')).toBe('');
    expect(events[1]).toEqual({ kind: 'stop', id: 5 });
  });
});
