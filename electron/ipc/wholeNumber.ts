/** Whole-number fields of the contract, refused in words a user reads (settings, remote builders, tracked repositories). */
import { z } from 'zod';

/**
 * A whole-number field, refused in the user's words: "a number", "a whole number", or its own
 * bounds. The bounds come first and end the checks when they fail, so `memoryMiB=1e99` says "at
 * most 256 GiB" alone, not also zod's "expected int to be <=9007199254740991".
 */
export function wholeNumber(min: number, atLeast: string, max: number, atMost: string) {
  return z
    .number({ error: 'a number' })
    .min(min, { error: atLeast, abort: true })
    .max(max, { error: atMost, abort: true })
    .int({ error: 'a whole number' });
}
