import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileTailer } from './fileTailer.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bb-tail-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('FileTailer', () => {
  it('hands over complete lines as they are appended, skipping what was there before, and the last partial line on stop', async () => {
    const file = path.join(dir, 'console.log');
    writeFileSync(file, 'old boot line\n');
    const seen: string[] = [];
    const tailer = new FileTailer({ file, fromOffset: await FileTailer.sizeOf(file), onLines: (lines) => seen.push(...lines) });
    appendFileSync(file, 'Linux version 6.1\r\nbusybox ');
    await tailer.poll();
    expect(seen).toEqual(['Linux version 6.1']);
    appendFileSync(file, 'init\n\x1b[1mbold\x1b[0m\nno newline');
    await tailer.poll();
    expect(seen).toEqual(['Linux version 6.1', 'busybox init', 'bold']);
    await tailer.stop();
    expect(seen).toEqual(['Linux version 6.1', 'busybox init', 'bold', 'no newline']);
  });

  it('waits for a file that does not exist yet and starts over when it is truncated', async () => {
    const file = path.join(dir, 'later.log');
    const seen: string[] = [];
    const tailer = new FileTailer({ file, fromOffset: 0, onLines: (lines) => seen.push(...lines) });
    await tailer.poll();
    writeFileSync(file, 'first boot, a long line\n');
    await tailer.poll();
    writeFileSync(file, 'second\n');
    await tailer.poll();
    expect(seen).toEqual(['first boot, a long line', 'second']);
  });
});
