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
    expect(splitMarkedBlock(text)).toEqual({ outside: 'x = 1\ny = 2\n', inside: ['ours = 1'] });
  });
  it('treats a BEGIN without END as no block at all (never eats the rest of the file)', () => {
    const text = `x = 1\n${BLOCK_BEGIN}\ny = 2\n`;
    expect(splitMarkedBlock(text)).toEqual({ outside: text, inside: null });
  });
});

describe('the markers in a machines file', () => {
  it('hold no ";", which Nix splits machines lines on before it strips comments', () => {
    expect(BLOCK_BEGIN).not.toContain(';');
    expect(BLOCK_END).not.toContain(';');
  });
});
