/**
 * The queue at the scale of a large remote build: every derivation followed through building,
 * copying back and done. How its cost grows with the build's size (it was quadratic: each copied
 * output scanned every derivation) is measured by `npm run bench` (section `scale`), not here.
 */
import { describe, expect, it } from 'vitest';
import { parseActivityJson } from './activityParser.js';
import { BuildQueue } from './buildQueue.js';
import { ExternalBuildStreams } from './externalBuildStream.js';
import { DERIVATIONS_SHOWN } from './shownDerivations.js';
import { remoteBuildStream } from './testing/remoteBuildStream.js';

describe('BuildQueue at the scale of a large remote build', () => {
  it('follows 30,000 derivations built remotely and copied back, each to its own derivation', () => {
    const queue = new BuildQueue();
    let copying = 0;
    queue.onChange((change) => {
      if (change.type === 'derivation-updated' && change.derivation.state === 'copying') copying += 1;
    });
    for (const line of remoteBuildStream(30_000)) queue.apply(parseActivityJson(line));
    expect(copying).toBe(30_000);
    expect(queue.derivations().every((entry) => entry.state === 'done')).toBe(true);
    expect(queue.progress()).toMatchObject({ done: 30_000, running: 0, failed: 0 });
  }, 120_000);
});

describe('a view of a large build seen through json-log-path', () => {
  it('carries what is building and the latest done up to the cap, and counts the rest', () => {
    const streams = new ExternalBuildStreams({ now: () => 1 });
    const lines = remoteBuildStream(2_000);
    // Stop before the last derivation is copied back: it is still building.
    for (const line of lines.slice(0, -4)) streams.line(1, line);
    const [view] = streams.list();
    expect(view?.derivations).toHaveLength(DERIVATIONS_SHOWN);
    expect(view?.derivationsNotShown).toBe(2_000 - DERIVATIONS_SHOWN);
    expect(view?.derivations.filter((derivation) => derivation.state === 'building')).toHaveLength(1);
    expect(view?.progress).toMatchObject({ done: 1_999 });
  });
});
