/**
 * The queue at the scale of a large remote build: every derivation followed through building,
 * copying back and done. How its cost grows with the build's size (it was quadratic: each copied
 * output scanned every derivation) is measured by `npm run bench` (section `scale`), not here.
 */
import { describe, expect, it } from 'vitest';
import { parseActivityJson } from './activityParser.js';
import { BuildQueue } from './buildQueue.js';
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
