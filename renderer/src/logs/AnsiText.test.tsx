import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { AnsiText } from './AnsiText.js';

const ESC = '\u001b';
const render = (text: string) => renderToStaticMarkup(createElement(AnsiText, { text }));

describe('AnsiText', () => {
  it('renders a plain line as bare escaped text', () => {
    expect(render('plain <b>bold?</b> & done')).toBe('plain &lt;b&gt;bold?&lt;/b&gt; &amp; done');
  });

  it('turns colours into classed spans and keeps markup in the log as text', () => {
    const html = render(`${ESC}[31;1merror:${ESC}[0m <script>alert(1)</script> '${ESC}[35;1m/nix/store/x.drv${ESC}[0m'`);
    expect(html).toBe(
      '<span class="ansi-bold ansi-fg-1">error:</span>' +
        '<span> &lt;script&gt;alert(1)&lt;/script&gt; &#x27;</span>' +
        '<span class="ansi-bold ansi-fg-5">/nix/store/x.drv</span>' +
        '<span>&#x27;</span>',
    );
    expect(html).not.toContain('<script');
  });

  it('puts no escape or control character on the page', () => {
    const html = render(`${ESC}]0;title\u0007${ESC}[2K\r${ESC}[32mok${ESC}[K${ESC}[0m\u0007`);
    expect(html).toBe('<span class="ansi-fg-2">ok</span>');
  });

  it('cannot be talked into HTML through a crafted escape', () => {
    // An OSC hyperlink whose target is markup: the target is dropped, the text stays text.
    const html = render(`${ESC}]8;;"><img src=x onerror=alert(1)>${ESC}\\<i>x</i>${ESC}]8;;${ESC}\\`);
    expect(html).toBe('&lt;i&gt;x&lt;/i&gt;');
  });
});

describe('AnsiText with search highlights', () => {
  const marked = (text: string, highlight: { start: number; end: number }[]) =>
    renderToStaticMarkup(createElement(AnsiText, { text, highlight }));

  it('wraps matches in <mark> with text children only, keeping markup in the log as text', () => {
    expect(marked('<b>core</b> started', [{ start: 3, end: 7 }])).toBe('<span>&lt;b&gt;</span><mark>core</mark><span>&lt;/b&gt; started</span>');
  });

  it('keeps the colour class on a marked piece', () => {
    expect(marked(`${ESC}[32mok${ESC}[0m done`, [{ start: 0, end: 4 }])).toBe('<mark class="ansi-fg-2">ok</mark><mark> d</mark><span>one</span>');
  });
});
