import { describe, expect, it } from 'vitest';
import { parseActivityJson } from './activityParser.js';
import { BuildQueue } from './buildQueue.js';

/** A remote build of `count` derivations as Nix streams it: each built on the builder, its output copied back. */
function remoteBuild(count: number): string[] {
  const hash = (index: number) => index.toString(36).padStart(32, '0');
  const drv = (index: number) => `/nix/store/${hash(index)}-d${index}.drv`;
  const lines = [JSON.stringify({ action: 'msg', level: 3, msg: `these ${count} derivations will be built:` })];
  for (let index = 0; index < count; index++) lines.push(JSON.stringify({ action: 'msg', level: 3, msg: `  ${drv(index)}` }));
  lines.push(JSON.stringify({ action: 'start', id: 1, level: 0, parent: 0, text: '', type: 104 }));
  for (let index = 0; index < count; index++) {
    const [build, copy] = [2 * index + 10, 2 * index + 11];
    lines.push(
      JSON.stringify({ action: 'start', id: build, level: 3, parent: 0, text: `building '${drv(index)}'`, type: 105, fields: [drv(index), 'ssh://b', 1, 1] }),
      JSON.stringify({ action: 'result', id: build, type: 101, fields: ['building'] }),
      JSON.stringify({ action: 'start', id: copy, level: 4, parent: build, text: 'copying', type: 100, fields: [`/nix/store/${hash(index + count)}-d${index}`, 'ssh://b', 'local'] }),
      JSON.stringify({ action: 'stop', id: copy }),
      JSON.stringify({ action: 'result', id: 1, type: 105, fields: [index + 1, count + 1, 0, 0] }),
      JSON.stringify({ action: 'stop', id: build }),
    );
  }
  return lines;
}

describe('BuildQueue at the scale of a large remote build', () => {
  it('follows 30,000 derivations built remotely and copied back in linear time (seconds, not minutes)', () => {
    const lines = remoteBuild(30_000);
    const queue = new BuildQueue();
    let copying = 0;
    queue.onChange((change) => {
      if (change.type === 'derivation-updated' && change.derivation.state === 'copying') copying += 1;
    });
    const started = performance.now();
    for (const line of lines) queue.apply(parseActivityJson(line));
    const elapsed = performance.now() - started;
    expect(copying).toBe(30_000);
    expect(queue.derivations().every((entry) => entry.state === 'done')).toBe(true);
    // Linear: about 0.3 s here; a scan of every derivation per copy took over a minute.
    expect(elapsed).toBeLessThan(5_000);
  }, 120_000);
});
