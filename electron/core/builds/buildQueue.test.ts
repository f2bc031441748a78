import { describe, expect, it } from 'vitest';
import { parseActivityLine } from './activityParser.js';
import { BuildQueue, type BuildQueueChange, type DerivationState } from './buildQueue.js';
import { asIfPid, fixtureLines, fixtureVersions, type FixtureCase } from './testing/fixtures.js';

function replayLines(lines: string[], queue = new BuildQueue({ now: tick() })): { queue: BuildQueue; changes: BuildQueueChange[]; statesSeen: Map<string, DerivationState[]> } {
  const changes: BuildQueueChange[] = [];
  const statesSeen = new Map<string, DerivationState[]>();
  queue.onChange((change) => {
    changes.push(change);
    if (change.type === 'derivation-created' || change.type === 'derivation-updated') {
      const seen = statesSeen.get(change.derivation.name) ?? [];
      if (seen[seen.length - 1] !== change.derivation.state) seen.push(change.derivation.state);
      statesSeen.set(change.derivation.name, seen);
    }
  });
  for (const line of lines) queue.apply(parseActivityLine(line));
  return { queue, changes, statesSeen };
}

function tick(): () => number {
  let now = 1_000;
  return () => (now += 10);
}

describe.each(fixtureVersions())('BuildQueue on the streams recorded from Nix %s', (version) => {
  const replay = (name: FixtureCase) => replayLines(fixtureLines(name, version));

  it('local success: one derivation, waiting -> building -> done, locally, with its log', () => {
    const { queue, statesSeen } = replay('local-success');
    const [entry, ...rest] = queue.derivations();
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({ name: 'bb-success', state: 'done', machine: 'local', logLines: ['building success', 'a line on stderr'], reason: null });
    expect(entry?.startedAt).toBeLessThan(entry?.endedAt ?? 0);
    expect(statesSeen.get('bb-success')).toEqual(['waiting', 'building', 'done']);
    expect(queue.progress()).toEqual({ done: 1, expected: 1, running: 0, failed: 0 });
    expect(queue.lastError()).toBeNull();
  });

  it('local failure: failed with the lines it printed and Nix\'s reason', () => {
    const { queue, statesSeen } = replay('local-failure');
    const [entry] = queue.derivations();
    expect(entry).toMatchObject({ name: 'bb-failure', state: 'failed', machine: 'local', logLines: ['about to fail', 'something went wrong'] });
    // 2.8: "builder for '<drv>' failed with exit code 1"; 2.34: "Cannot build '<drv>'. Reason: builder failed with exit code 1. …"
    expect(entry?.reason).toMatch(/^(builder for|Cannot build) '\/nix\/store\/.*-bb-failure\.drv'.* failed with exit code 1\b[^\n]*$/);
    expect(statesSeen.get('bb-failure')).toEqual(['waiting', 'building', 'failed']);
    expect(queue.progress().failed).toBe(1);
  });

  it('several local derivations: three listed up front, each built and done; progress 3/3', () => {
    const { queue, changes } = replay('local-several');
    expect(changes.filter((change) => change.type === 'derivation-created').map((change) => change.type === 'derivation-created' && change.derivation.name).sort()).toEqual(['bb-joined', 'bb-left', 'bb-right']);
    expect(queue.derivations().map((entry) => [entry.name, entry.state, entry.machine])).toEqual(
      expect.arrayContaining([['bb-left', 'done', 'local'], ['bb-right', 'done', 'local'], ['bb-joined', 'done', 'local']]),
    );
    expect(queue.progress()).toEqual({ done: 3, expected: 3, running: 0, failed: 0 });
  });

  it('remote: each derivation built on the builder, its outputs copied back (copying), then done', () => {
    const { queue, statesSeen, changes } = replay('remote-several');
    for (const name of ['bb-left', 'bb-right', 'bb-joined']) {
      expect(queue.derivations().find((entry) => entry.name === name)).toMatchObject({ state: 'done', machine: 'ssh://builder-bar-test' });
      expect(statesSeen.get(name)).toEqual(['waiting', 'building', 'copying', 'done']);
    }
    expect(queue.derivations().find((entry) => entry.name === 'bb-joined')?.logLines).toContain('building joined');
    const progress = changes.flatMap((change) => (change.type === 'progress' ? [change.progress] : []));
    // Nix 2.34 itself ends at "3 of 4 built": the queue counts the derivations it knows.
    expect(progress[progress.length - 1]).toEqual({ done: 3, expected: 3, running: 0, failed: 0 });
    expect(queue.notes()).toContainEqual({ level: 'info', text: expect.stringMatching(/^waiting for a machine to build '.*-bb-\w+\.drv'$/) });
  });

  it('a Nix with a pid of 2^21 or more (ids past 2^53) gives the same derivations, states and logs', () => {
    const strip = (queue: BuildQueue) => queue.derivations().map(({ startedAt, endedAt, ...rest }) => rest);
    for (const name of ['remote-several', 'local-several'] as const) {
      const lines = fixtureLines(name, version);
      expect(strip(replayLines(lines.map((line) => asIfPid(line, 3_000_001))).queue), name).toEqual(strip(replayLines(lines).queue));
    }
  });

  it('remote success: built on the builder and copied back, progress 1 of 1', () => {
    const { queue, statesSeen } = replay('remote-success');
    expect(queue.derivations()).toEqual([expect.objectContaining({ name: 'bb-success', state: 'done', machine: 'ssh://builder-bar-test' })]);
    expect(queue.derivations()[0]?.logLines).toEqual(expect.arrayContaining(['building success', 'a line on stderr']));
    expect(statesSeen.get('bb-success')).toEqual(['waiting', 'building', 'copying', 'done']);
    expect(queue.progress()).toEqual({ done: 1, expected: 1, running: 0, failed: 0 });
  });

  it('a type no Nix sends yet, anywhere in the stream, shows as a note and changes nothing else', () => {
    const lines = fixtureLines('remote-several', version);
    const buildAt = lines.findIndex((line) => line.startsWith('@nix {"action":"start"') && line.endsWith('"type":105}'));
    const buildId = /"id":(\d+)/.exec(lines[buildAt] ?? '')?.[1];
    expect(buildId).toBeDefined();
    const future = [
      '@nix {"action":"start","id":999001,"level":3,"parent":0,"text":"teleporting \\u001b[35;1mbb-left\\u001b[0m","type":115,"fields":["x",1]}',
      `@nix {"action":"result","id":${buildId},"type":120,"fields":[7,"y"]}`,
      `@nix {"action":"result","id":${buildId},"type":120,"fields":[8,"y"]}`,
      '@nix {"action":"result","id":999001,"type":105,"fields":[1,2,0,0]}',
      '@nix {"action":"stop","id":999001}',
    ];
    const plain = replayLines(lines);
    const mixed = replayLines([...lines.slice(0, buildAt + 1), ...future, ...lines.slice(buildAt + 1)]);
    expect(mixed.queue.derivations().map(({ startedAt, endedAt, ...rest }) => rest)).toEqual(plain.queue.derivations().map(({ startedAt, endedAt, ...rest }) => rest));
    expect(mixed.queue.progress()).toEqual(plain.queue.progress());
    const warnings = mixed.queue.notes().filter((note) => note.level === 'warn').map((note) => note.text);
    expect(warnings).toEqual(['unknown activity type 115: teleporting bb-left', expect.stringMatching(/^unknown result type 120 \[7,"y"\] from "building '.*\.drv' on 'ssh:\/\/builder-bar-test'"$/)]);
  });

  it('remote failure: failed on the builder, with its log lines and the machine in the reason', () => {
    const { queue } = replay('remote-failure');
    const [entry] = queue.derivations();
    expect(entry).toMatchObject({ name: 'bb-failure', state: 'failed', machine: 'ssh://builder-bar-test' });
    expect(entry?.logLines).toEqual(expect.arrayContaining(['about to fail', 'something went wrong']));
    expect(entry?.reason).toContain('failed with exit code 1');
  });
});

describe('BuildQueue when the process ends', () => {
  const start = (id: number, drv: string): string =>
    `@nix {"action":"start","fields":["${drv}","",1,1],"id":${id},"level":3,"text":"building","type":105}`;
  const drvA = `/nix/store/${'a'.repeat(32)}-alpha.drv`;
  const drvB = `/nix/store/${'b'.repeat(32)}-beta.drv`;

  function halfWay(): BuildQueue {
    const queue = new BuildQueue({ now: tick() });
    for (const line of [
      '@nix {"action":"msg","level":3,"msg":"these 2 derivations will be built:"}',
      `@nix {"action":"msg","level":3,"msg":"  ${drvA}"}`,
      `@nix {"action":"msg","level":3,"msg":"  ${drvB}"}`,
      start(5, drvA),
      '@nix {"action":"msg","level":0,"msg":"error: cannot connect to \'ssh://builder\'"}',
    ]) {
      queue.apply(parseActivityLine(line));
    }
    return queue;
  }

  it('a non-zero exit fails whatever is still building or waiting, naming the exit and the last error', () => {
    const queue = halfWay();
    queue.finish({ exitCode: 1, signal: null, cancelled: false });
    for (const entry of queue.derivations()) {
      expect(entry.state).toBe('failed');
      expect(entry.reason).toBe("Nix exited with code 1: cannot connect to 'ssh://builder'");
      expect(entry.endedAt).not.toBeNull();
    }
  });

  it('a cancel marks them cancelled, and a finished derivation keeps its state', () => {
    const queue = halfWay();
    queue.apply(parseActivityLine('@nix {"action":"stop","id":5}'));
    queue.finish({ exitCode: null, signal: 'SIGINT', cancelled: true });
    expect(queue.derivation(drvA)?.state).toBe('done');
    expect(queue.derivation(drvB)).toMatchObject({ state: 'cancelled', reason: 'Cancelled by the user.' });
  });

  it('a post-build hook\'s output goes to the derivation it ran for, and its end does not end the build', () => {
    const queue = new BuildQueue({ now: tick() });
    queue.apply(parseActivityLine(start(9, drvA)));
    queue.apply(parseActivityLine(`@nix {"action":"start","id":10,"level":4,"parent":9,"text":"running post-build-hook","type":110,"fields":["${drvA}"]}`));
    queue.apply(parseActivityLine('@nix {"action":"result","fields":["signing outputs"],"id":10,"type":107}'));
    queue.apply(parseActivityLine('@nix {"action":"stop","id":10}'));
    expect(queue.derivation(drvA)).toMatchObject({ state: 'building', logLines: ['signing outputs'] });
  });

  it('without Nix\'s list of what it will build (a stream joined late), Nix\'s own expected count stands', () => {
    const queue = new BuildQueue({ now: tick() });
    queue.apply(parseActivityLine('@nix {"action":"start","id":1,"level":0,"text":"","type":104}'));
    queue.apply(parseActivityLine(start(9, drvA)));
    queue.apply(parseActivityLine('@nix {"action":"result","fields":[0,5,1,0],"id":1,"type":105}'));
    expect(queue.progress()).toEqual({ done: 0, expected: 5, running: 1, failed: 0 });
  });

  it('keeps only the last lines of a long log and counts the rest', () => {
    const queue = new BuildQueue({ maxLogLines: 3 });
    queue.apply(parseActivityLine(start(9, drvA)));
    for (let index = 0; index < 10; index++) {
      queue.apply(parseActivityLine(`@nix {"action":"result","fields":["line ${index}"],"id":9,"type":101}`));
    }
    expect(queue.derivation(drvA)).toMatchObject({ logLines: ['line 7', 'line 8', 'line 9'], droppedLogLines: 7 });
  });
});

describe('BuildQueue with several derivations building on one builder at once', () => {
  it('an output copied back goes to the derivation whose name fits best (aeson-pretty, not aeson)', () => {
    const drv = (letter: string, name: string) => `/nix/store/${letter.repeat(32)}-${name}.drv`;
    const out = (letter: string, name: string) => `/nix/store/${letter.repeat(32)}-${name}`;
    const queue = new BuildQueue({ now: tick() });
    const record = (value: object) => queue.apply(parseActivityLine(`@nix ${JSON.stringify(value)}`));
    record({ action: 'start', id: 1, level: 3, text: 'building', type: 105, fields: [drv('a', 'aeson-2.2'), 'ssh://b', 1, 1] });
    record({ action: 'start', id: 2, level: 3, text: 'building', type: 105, fields: [drv('b', 'aeson-2.2-pretty'), 'ssh://b', 1, 1] });
    record({ action: 'start', id: 3, level: 4, text: 'copying', type: 100, fields: [out('c', 'aeson-2.2-pretty'), 'ssh://b', 'local'] });
    expect(queue.derivation(drv('b', 'aeson-2.2-pretty'))?.state).toBe('copying');
    expect(queue.derivation(drv('a', 'aeson-2.2'))?.state).toBe('building');
    // A second output (`-doc`) of the shorter name still finds its own derivation.
    record({ action: 'start', id: 4, level: 4, text: 'copying', type: 100, fields: [out('d', 'aeson-2.2-doc'), 'ssh://b', 'local'] });
    expect(queue.derivation(drv('a', 'aeson-2.2'))?.state).toBe('copying');
  });
});
