import { describe, expect, it } from 'vitest';
import { LineSplitter } from './lineFraming.js';

describe('newline-delimited framing', () => {
  it('reassembles lines split across chunks, including inside a multi-byte character', () => {
    const splitter = new LineSplitter(1024);
    const bytes = Buffer.from('{"a":"é"}\n{"b":2}\r\n\n{"c"');
    const cut = bytes.indexOf(Buffer.from('é')) + 1; // between the two bytes of é
    expect(splitter.push(bytes.subarray(0, cut))).toEqual([]);
    expect(splitter.push(bytes.subarray(cut))).toEqual([
      { kind: 'line', text: '{"a":"é"}' },
      { kind: 'line', text: '{"b":2}' },
    ]);
    expect(splitter.push(Buffer.from(':3}\n'))).toEqual([{ kind: 'line', text: '{"c":3}' }]);
  });

  it('reports a line over the limit as soon as it passes it, then ignores the rest', () => {
    const splitter = new LineSplitter(10);
    expect(splitter.push(Buffer.from('12345'))).toEqual([]);
    expect(splitter.push(Buffer.from('678901'))).toEqual([{ kind: 'too-long', bytes: 11 }]);
    expect(splitter.push(Buffer.from('\n{"ok":1}\n'))).toEqual([]);
  });

  it('accepts a line of exactly the limit', () => {
    expect(new LineSplitter(3).push(Buffer.from('abc\n'))).toEqual([{ kind: 'line', text: 'abc' }]);
  });
});
