import { describe, expect, it } from 'vitest';
import { shownDerivations } from './shownDerivations.js';

const derivation = (name: string, state: string, endedAt: number | null = null) => ({ name, state, endedAt });

describe('the derivations a build view carries', () => {
  it('carries all of a build of ordinary size, as they are', () => {
    const all = [derivation('a', 'done', 1), derivation('b', 'building')];
    expect(shownDerivations(all, 2)).toStrictEqual({ derivations: all });
  });

  it('of a huge build: what is building or failed first, then waiting, then the latest done; in the queue order, with the count of the rest', () => {
    const all = [
      derivation('old-done', 'done', 1),
      derivation('waiting', 'waiting'),
      derivation('new-done', 'done', 9),
      derivation('failed', 'failed', 5),
      derivation('building', 'building'),
      derivation('mid-done', 'done', 5),
    ];
    expect(shownDerivations(all, 3)).toEqual({ derivations: [all[1], all[3], all[4]], derivationsNotShown: 3 });
    expect(shownDerivations(all, 4).derivations.map((d) => d.name)).toEqual(['waiting', 'new-done', 'failed', 'building']);
  });

  it('keeps a view of 100,000 derivations to the cap', () => {
    const all = Array.from({ length: 100_000 }, (_, index) => derivation(`d${index}`, index % 1000 === 0 ? 'building' : 'done', index));
    const shown = shownDerivations(all);
    expect(shown.derivations).toHaveLength(500);
    expect(shown.derivationsNotShown).toBe(99_500);
    expect(shown.derivations.filter((d) => d.state === 'building')).toHaveLength(100);
  });
});
