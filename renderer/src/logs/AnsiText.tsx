// The unit tests render this file through Vitest's esbuild, which reads the Node tsconfig (no
// `jsx` there) and would emit classic `React.createElement`; this pragma keeps it automatic.
/** @jsxRuntime automatic */
/**
 * One log line's text with its ANSI colours, as React text nodes inside classed spans. The log
 * text never becomes HTML (React escapes it), and escape sequences other than colours are
 * dropped by the parser, so a hostile or garbled line shows as text and nothing else.
 */
import { memo } from 'react';
import { parseAnsi } from './ansi.js';
import { ansiClassName } from './ansiClasses.js';

// Memoised: Virtuoso re-renders visible rows on every batch, and a row's text never changes.
export const AnsiText = memo(function AnsiText({ text }: { text: string }) {
  const segments = parseAnsi(text);
  const only = segments[0];
  // Most lines carry no colour: a bare text node, no span.
  if (segments.length === 1 && only && ansiClassName(only.style) === '') return only.text;
  return (
    <>
      {segments.map((segment, index) => {
        const className = ansiClassName(segment.style);
        // Segments never reorder within a line, so their position is a stable key.
        return className === '' ? (
          <span key={index}>{segment.text}</span>
        ) : (
          <span key={index} className={className}>
            {segment.text}
          </span>
        );
      })}
    </>
  );
});
