/**
 * A block of text the user pastes elsewhere (shell lines, nix-darwin configuration), with a Copy
 * button. Where the page may not use the clipboard, Copy selects the text instead, so the
 * system's own copy works. The text is rendered as text, never as HTML.
 */
import { useRef, useState } from 'react';

export interface CopyableTextProps {
  /** What the block is for, shown above it. */
  intro: string;
  /** The block's accessible name. */
  label: string;
  text: string;
}

export function CopyableText({ intro, label, text }: CopyableTextProps) {
  const [copied, setCopied] = useState<'copied' | 'selected' | null>(null);
  const block = useRef<HTMLPreElement>(null);

  const select = (): void => {
    const node = block.current;
    const selection = window.getSelection();
    if (!node || !selection) return;
    const range = document.createRange();
    range.selectNodeContents(node);
    selection.removeAllRanges();
    selection.addRange(range);
    setCopied('selected');
  };

  const copy = (): void => {
    // `navigator.clipboard` is missing outside a secure context.
    const clipboard = typeof navigator.clipboard?.writeText === 'function' ? navigator.clipboard : null;
    if (!clipboard) {
      select();
      return;
    }
    void clipboard.writeText(text).then(
      () => setCopied('copied'),
      () => select(),
    );
  };

  return (
    <div style={{ marginTop: 8 }}>
      <div className="muted small">{intro}</div>
      <pre ref={block} className="console-tail" aria-label={label}>
        {text}
      </pre>
      <div className="button-row" style={{ marginTop: 4 }}>
        <button type="button" onClick={copy}>
          {copied === 'copied' ? 'Copied' : copied === 'selected' ? 'Selected: press Cmd+C / Ctrl+C' : 'Copy'}
        </button>
      </div>
    </div>
  );
}
