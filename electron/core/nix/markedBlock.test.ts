import { describe, expect, it } from 'vitest';
import { BLOCK_BEGIN, BLOCK_END, splitMarkedBlock, withMarkedBlock } from './markedBlock.js';

describe('the marked block', () => {
  it('is appended at the end, adding a newline the file lacked, and replaced in place later', () => {
    const once = withMarkedBlock('a = 1', ['b = 2']);
    expect(once).toBe(`a = 1\n${BLOCK_BEGIN}\nb = 2\n${BLOCK_END}\n`);
    const twice = withMarkedBlock(once, ['b = 3']);
    expect(twice).toBe(`a = 1\n${BLOCK_BEGIN}\nb = 3\n${BLOCK_END}\n`);
    expect(withMarkedBlock(twice, ['b = 3'])).toBe(twice);
  });
  it('keeps everything outside the block byte for byte', () => {
    const text = `x = 1\n${BLOCK_BEGIN}\nours = 1\n${BLOCK_END}\ny = 2\n`;
    expect(splitMarkedBlock(text)).toEqual({ outside: 'x = 1\ny = 2\n', inside: ['ours = 1'], unpaired: null });
  });
  it('reports a BEGIN without END, or an END without BEGIN, and splits nothing (never eats the rest of the file)', () => {
    const text = `x = 1\n${BLOCK_BEGIN}\ny = 2\n`;
    expect(splitMarkedBlock(text)).toEqual({ outside: text, inside: null, unpaired: { lineNumber: 2, marker: 'begin' } });
    const twoBegins = `${BLOCK_BEGIN}\nmine = 1\n${BLOCK_BEGIN}\nours = 1\n${BLOCK_END}\n`;
    expect(splitMarkedBlock(twoBegins)).toEqual({ outside: twoBegins, inside: null, unpaired: { lineNumber: 1, marker: 'begin' } });
    const endOnly = `x = 1\nours = 1\n${BLOCK_END}\ny = 2\n`;
    expect(splitMarkedBlock(endOnly)).toEqual({ outside: endOnly, inside: null, unpaired: { lineNumber: 3, marker: 'end' } });
    expect(() => withMarkedBlock(endOnly, ['b = 2'])).toThrow(/line 3 has no partner/);
  });
  it('finds the END marker of a file an editor saved with CRLF line endings or trailing blanks', () => {
    const text = `x = 1\r\n${BLOCK_BEGIN}\r\nours = 1\r\n${BLOCK_END}\r\ny = 2\r\n`;
    expect(splitMarkedBlock(text)).toEqual({ outside: 'x = 1\r\ny = 2\r\n', inside: ['ours = 1\r'], unpaired: null });
    expect(withMarkedBlock(text, ['b = 2'])).toBe(`x = 1\r\ny = 2\r\n${BLOCK_BEGIN}\nb = 2\n${BLOCK_END}\n`);
    expect(splitMarkedBlock(`${BLOCK_BEGIN}\nours = 1\n${BLOCK_END} \t\n`).outside).toBe('');
  });
  it('takes out every whole block, so a second copy of ours does not stay behind', () => {
    const text = `x = 1\n${BLOCK_BEGIN}\nold = 1\n${BLOCK_END}\ny = 2\n${BLOCK_BEGIN}\nours = 1\n${BLOCK_END}\n`;
    expect(splitMarkedBlock(text)).toEqual({ outside: 'x = 1\ny = 2\n', inside: ['old = 1', 'ours = 1'], unpaired: null });
  });
});

describe('the markers in a machines file', () => {
  it('hold no ";", which Nix splits machines lines on before it strips comments', () => {
    expect(BLOCK_BEGIN).not.toContain(';');
    expect(BLOCK_END).not.toContain(';');
  });
});
