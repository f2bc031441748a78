/**
 * The sources the Logs window offers as filters: the fixed ones, then every build stream seen,
 * in order of appearance. Tracked incrementally (only lines newer than the last look are read),
 * since the window may hold a million lines and gets a batch about 60 times a second.
 */
import type { LogSource } from '../api/contract.js';
import type { LogBuffer } from '../state/logBuffer.js';
import { fixedSources } from './logFilter.js';

export interface SourcesSeen {
  sources: readonly LogSource[];
  /** The newest line already looked at. */
  lastSeq: number;
}

export const noSourcesSeen: SourcesSeen = { sources: fixedSources, lastSeq: -1 };

/** The same object when nothing new appeared, so React can skip work. Reads columns, makes no lines. */
export function updateSourcesSeen(seen: SourcesSeen, lines: LogBuffer): SourcesSeen {
  const known = new Set(seen.sources);
  const added: LogSource[] = [];
  let position = lines.endPosition - 1;
  while (position >= lines.firstPosition && lines.seqAtPosition(position) > seen.lastSeq) position -= 1;
  for (let p = position + 1; p < lines.endPosition; p += 1) {
    const source = lines.sourceAtPosition(p);
    if (!known.has(source)) {
      known.add(source);
      added.push(source);
    }
  }
  const lastSeq = lines.length > 0 ? Math.max(seen.lastSeq, lines.seqAtPosition(lines.endPosition - 1)) : seen.lastSeq;
  if (added.length === 0 && lastSeq === seen.lastSeq) return seen;
  return { sources: added.length === 0 ? seen.sources : [...seen.sources, ...added], lastSeq };
}
