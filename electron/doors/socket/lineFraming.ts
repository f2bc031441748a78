/**
 * Newline-delimited JSON over a stream socket: bytes arrive in arbitrary chunks, messages are
 * the lines between them. A line longer than the limit is refused as soon as the buffer
 * passes it, so a client that never sends a newline cannot grow our memory without bound.
 */
export type LineEvent = { kind: 'line'; text: string } | { kind: 'too-long'; bytes: number };

export class LineSplitter {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private overflowed = false;

  constructor(private readonly maxLineBytes: number) {}

  /** Feeds a chunk and returns the complete lines it finished (empty lines are skipped). */
  push(chunk: Buffer): LineEvent[] {
    if (this.overflowed) return [];
    const out: LineEvent[] = [];
    let start = 0;
    for (let newline = chunk.indexOf(0x0a, start); newline !== -1; newline = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, newline);
      if (this.buffered + piece.length > this.maxLineBytes) {
        return this.overflow(out, this.buffered + piece.length);
      }
      const line = Buffer.concat([...this.chunks, piece]).toString('utf8').replace(/\r$/, '');
      this.chunks = [];
      this.buffered = 0;
      if (line.trim() !== '') out.push({ kind: 'line', text: line });
      start = newline + 1;
    }
    const rest = chunk.subarray(start);
    if (this.buffered + rest.length > this.maxLineBytes) {
      return this.overflow(out, this.buffered + rest.length);
    }
    if (rest.length > 0) {
      this.chunks.push(rest);
      this.buffered += rest.length;
    }
    return out;
  }

  private overflow(out: LineEvent[], bytes: number): LineEvent[] {
    this.overflowed = true;
    this.chunks = [];
    this.buffered = 0;
    out.push({ kind: 'too-long', bytes });
    return out;
  }
}
