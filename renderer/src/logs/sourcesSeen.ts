/**
 * The sources the Logs window offers as filters: the fixed ones, then every build stream seen,
 * in order of appearance. Tracked incrementally (only lines newer than the last look are read),
 * since the window may hold a million lines and gets a batch about 60 times a second.
 */
import type { LogLine, LogSource } from '../api/contract.js';
import type { Indexed } from '../state/indexed.js';
import { fixedSources } from './logFilter.js';

export interface SourcesSeen {
  sources: readonly LogSource[];
  /** The newest line already looked at. */
  lastSeq: number;
}

export const noSourcesSeen: SourcesSeen = { sources: fixedSources, lastSeq: -1 };

/** The same object when nothing new appeared, so React can skip work. */
export function updateSourcesSeen(seen: SourcesSeen, lines: Indexed<LogLine>): SourcesSeen {
  const known = new Set(seen.sources);
  const added: LogSource[] = [];
  let index = lines.length - 1;
  while (index >= 0 && lines.at(index)!.seq > seen.lastSeq) index -= 1;
  for (let i = index + 1; i < lines.length; i += 1) {
    const source = lines.at(i)!.source;
    if (!known.has(source)) {
      known.add(source);
      added.push(source);
    }
  }
  const lastSeq = lines.length > 0 ? Math.max(seen.lastSeq, lines.at(lines.length - 1)!.seq) : seen.lastSeq;
  if (added.length === 0 && lastSeq === seen.lastSeq) return seen;
  return { sources: added.length === 0 ? seen.sources : [...seen.sources, ...added], lastSeq };
}
