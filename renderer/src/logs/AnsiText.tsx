// The unit tests render this file through Vitest's esbuild, which reads the Node tsconfig (no
// `jsx` there) and would emit classic `React.createElement`; this pragma keeps it automatic.
/** @jsxRuntime automatic */
/**
 * One log line's text with its ANSI colours, as React text nodes inside classed spans. The log
 * text never becomes HTML (React escapes it), and escape sequences other than colours are
 * dropped by the parser, so a hostile or garbled line shows as text and nothing else.
 * Search matches (`highlight`, offsets into the visible text) become `<mark>` elements whose
 * only children are text nodes.
 */
import { memo } from 'react';
import { parseAnsi } from './ansi.js';
import { ansiClassName } from './ansiClasses.js';
import { splitAtMatches } from './highlight.js';
import type { MatchRange } from './logSearch.js';

const noHighlight: readonly MatchRange[] = [];

// Memoised: Virtuoso re-renders visible rows on every batch, and a row's text never changes
// (callers memoise `highlight` per text and query so it keeps its identity too).
export const AnsiText = memo(function AnsiText({ text, highlight = noHighlight }: { text: string; highlight?: readonly MatchRange[] }) {
  const segments = parseAnsi(text);
  const only = segments[0];
  // Most lines carry no colour and no match: a bare text node, no span.
  if (highlight.length === 0 && segments.length === 1 && only && ansiClassName(only.style) === '') return only.text;
  const pieces = highlight.length === 0 ? segments.map((segment) => ({ ...segment, marked: false })) : splitAtMatches(segments, highlight);
  return (
    <>
      {pieces.map((piece, index) => {
        const className = ansiClassName(piece.style);
        // Pieces never reorder within a line, so their position is a stable key.
        if (piece.marked) {
          return className === '' ? (
            <mark key={index}>{piece.text}</mark>
          ) : (
            <mark key={index} className={className}>
              {piece.text}
            </mark>
          );
        }
        return className === '' ? (
          <span key={index}>{piece.text}</span>
        ) : (
          <span key={index} className={className}>
            {piece.text}
          </span>
        );
      })}
    </>
  );
});
