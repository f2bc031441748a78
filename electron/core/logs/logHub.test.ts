import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../ipc/contract.js';
import { LogHub } from './logHub.js';

describe('LogHub', () => {
  it('splits text into stamped lines per source and bounds each source', () => {
    const hub = new LogHub({ ringLines: 100, logDir: null, now: () => 1000 });
    hub.append('vm-console', 'info', 'one\r\ntwo\nthree\n');
    for (let i = 0; i < 150; i += 1) hub.append('app', 'info', `app ${i}`);
    expect(hub.tail('vm-console', 10).map((l) => l.text)).toEqual(['one', 'two', 'three']);
    const app = hub.tail('app', 1000);
    expect(app).toHaveLength(100);
    expect(app[0]?.text).toBe('app 50');
    expect(hub.tail(undefined, 2).map((l) => l.text)).toEqual(['app 148', 'app 149']);
  });

  it('delivers lines to subscribers in batches, not one call per line', async () => {
    const hub = new LogHub({ ringLines: 100, logDir: null, batchMs: 10 });
    const batches: LogLine[][] = [];
    hub.subscribe((lines) => batches.push(lines));
    for (let i = 0; i < 50; i += 1) hub.append('qemu', 'warn', `q${i}`);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(50);
  });

  it('caps a flooding batch and counts the lines it dropped', async () => {
    const hub = new LogHub({ ringLines: 100, logDir: null, maxBatchLines: 10 });
    const got: LogLine[] = [];
    hub.subscribe((lines) => got.push(...lines));
    for (let i = 0; i < 25; i += 1) hub.append('ssh', 'info', `s${i}`);
    await hub.flush();
    expect(got.map((l) => l.text)).toEqual(Array.from({ length: 10 }, (_, i) => `s${i + 15}`));
    expect(hub.droppedFromBatches).toBe(15);
  });

  it('writes rotated files on disk', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bb-loghub-'));
    const hub = new LogHub({ ringLines: 100, logDir: dir, maxFileBytes: 200, keepFiles: 2 });
    for (let i = 0; i < 30; i += 1) hub.append('app', 'info', `line number ${i}`);
    await hub.flush();
    const files = (await readdir(dir)).sort();
    // `builds/` holds the per-build streams' files.
    expect(files).toEqual(['app.log', 'app.log.1', 'app.log.2', 'builds']);
    const current = await readFile(path.join(dir, 'app.log'), 'utf8');
    expect(current).toContain('line number 29');
    expect(current.length).toBeLessThanOrEqual(200);
  });
});
