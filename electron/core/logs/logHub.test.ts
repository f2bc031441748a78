import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogLine } from '../../ipc/contract.js';
import { LOG_RING_BUDGET_BYTES, LogHub, lineBytes } from './logHub.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

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
    dirs.push(dir);
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

  it('takes no lines once closed: nothing is written to the log directory afterwards', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bb-loghub-'));
    dirs.push(dir);
    const hub = new LogHub({ ringLines: 100, logDir: dir });
    const got: LogLine[] = [];
    hub.subscribe((lines) => got.push(...lines));
    hub.append('app', 'info', 'before close');
    await hub.close();
    // As a lookup the core started in the background would, finishing after the core closed.
    hub.append('app', 'info', 'after close');
    hub.append('build:late', 'info', 'a late build line');
    await hub.flush();
    expect(await readFile(path.join(dir, 'app.log'), 'utf8')).toMatch(/^\S+ INFO  before close\n$/);
    expect(await readdir(path.join(dir, 'builds'))).toEqual([]);
    expect(hub.tail('app', 10).map((line) => line.text)).toEqual(['before close']);
    expect(got.map((line) => line.text)).toEqual(['before close']);
  });

  it('holds all rings together to a memory budget, trimming the oldest lines of the largest stream', () => {
    const budget = 400_000;
    const hub = new LogHub({ ringLines: 1_000_000, logDir: null, memoryBudgetBytes: budget });
    for (let i = 0; i < 10; i += 1) hub.append('app', 'info', `app ${i}`);
    const long = 'x'.repeat(100);
    for (let i = 0; i < 3000; i += 1) hub.append('build:flood', 'info', `flood ${i} ${long}`);
    for (let i = 0; i < 600; i += 1) hub.append('build:quiet', 'info', `quiet ${i} ${long}`);
    // The flood keeps its newest lines; the small streams keep everything.
    const flood = hub.tail('build:flood', 10_000);
    expect(flood.length).toBeLessThan(3000);
    expect(hub.tail('app', 100)).toHaveLength(10);
    expect(hub.tail('build:quiet', 10_000)).toHaveLength(600);
    const held = hub.tail(undefined, 10_000_000);
    expect(held.reduce((sum, line) => sum + lineBytes(line), 0)).toBeLessThanOrEqual(budget);
    expect(flood.at(-1)?.text).toBe(`flood 2999 ${long}`);
    expect(flood.map((line) => line.seq)).toEqual([...flood.map((line) => line.seq)].sort((a, b) => a - b));
  });

  it('lets one stream hold a million short lines under the default budget', () => {
    // The Logs window's cap and its benchmark: 1,000,000 lines of 87 characters in one ring.
    const line = { seq: 0, time: 0, source: 'build:x' as const, level: 'info' as const, text: 'y'.repeat(87) };
    expect(1_000_000 * lineBytes(line)).toBeLessThan(LOG_RING_BUDGET_BYTES);
  });
});
