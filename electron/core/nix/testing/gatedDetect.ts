/**
 * A Nix detection for tests that, the first time it is asked, waits until the test opens the
 * gate: a wiring step held in the middle, so a test can ask for another one meanwhile.
 */
import type { NixDetection } from '../detectNix.js';

export const testDetection: NixDetection = {
  found: true, binary: 'nix', version: '2.18.1', mode: 'single-user', user: 'me', trustedUsers: [], trusted: true,
  determinate: false, builders: '', machines: [], otherBuilders: 0, problems: [],
};

export interface GatedDetect {
  detect: () => Promise<NixDetection>;
  /** Resolves once the first detection is waiting at the gate. */
  inside: Promise<void>;
  open(): void;
}

export function gatedDetect(answer: NixDetection = testDetection, whileInside?: () => Promise<void>): GatedDetect {
  let open!: () => void;
  let entered!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const inside = new Promise<void>((resolve) => {
    entered = resolve;
  });
  let calls = 0;
  return {
    inside,
    open: () => open(),
    detect: async () => {
      calls += 1;
      if (calls === 1) {
        entered();
        await whileInside?.();
        await gate;
      }
      return answer;
    },
  };
}
