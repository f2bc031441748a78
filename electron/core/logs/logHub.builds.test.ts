import { mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogSourceSchema } from '../../ipc/contract.js';
import { buildLogSource } from './buildLogSource.js';
import { LogHub } from './logHub.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('LogHub build streams', () => {
  it('gives each build its own ring of ringLines, and keeps only the newest build streams in memory', () => {
    const hub = new LogHub({ ringLines: 100, logDir: null, maxBuildStreams: 3 });
    for (let build = 1; build <= 5; build += 1) {
      for (let i = 0; i < 150; i += 1) hub.append(buildLogSource(`b${build}`), 'info', `b${build} line ${i}`);
    }
    expect(hub.sources()).toEqual(['app', 'vm-console', 'qemu', 'ssh', 'nix-wiring', 'build:b3', 'build:b4', 'build:b5']);
    const newest = hub.tail('build:b5', 1000);
    expect(newest).toHaveLength(100);
    expect(newest[0]?.text).toBe('b5 line 50');
    expect(hub.tail('build:b1', 10)).toEqual([]);
    // The merged tail holds the kept builds only.
    expect(new Set(hub.tail(undefined, 10_000).map((line) => line.source))).toEqual(new Set(['build:b3', 'build:b4', 'build:b5']));
  });

  it('resizes build rings with the settings', () => {
    const hub = new LogHub({ ringLines: 100, logDir: null });
    for (let i = 0; i < 100; i += 1) hub.append('build:x', 'info', `${i}`);
    hub.setRingLines(200);
    for (let i = 100; i < 250; i += 1) hub.append('build:x', 'info', `${i}`);
    expect(hub.tail('build:x', 1000).map((line) => line.text)[0]).toBe('50');
    for (let i = 0; i < 10; i += 1) hub.append('build:y', 'info', `${i}`);
    hub.setRingLines(100);
    expect(hub.tail('build:x', 1000)).toHaveLength(100);
  });

  it('writes each build to builds/<id>.log, keeps the file after the stream is let go, and prunes the oldest files', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bb-loghub-builds-'));
    dirs.push(dir);
    const buildsDir = path.join(dir, 'builds');
    const hub = new LogHub({ ringLines: 100, logDir: dir, maxBuildStreams: 2, maxBuildFiles: 4 });
    // Files of earlier runs, oldest first by modification time.
    for (let i = 0; i < 4; i += 1) {
      const file = path.join(buildsDir, `old${i}.log`);
      await writeFile(file, `old ${i}\n`);
      await utimes(file, 1000 + i, 1000 + i);
    }
    await writeFile(path.join(buildsDir, 'old0.log.1'), 'rotated\n');
    hub.append('build:new1', 'info', 'first build');
    hub.append('build:new2', 'warn', 'second build');
    hub.append('build:new3', 'error', 'third build');
    await hub.flush();
    expect(await readFile(path.join(buildsDir, 'new1.log'), 'utf8')).toMatch(/INFO  first build\n$/);
    expect(hub.filePath('build:new3')).toBe(path.join(buildsDir, 'new3.log'));
    // new1 left memory but keeps its file; 4 files at most, the oldest went first (with old0's rotated file).
    expect(hub.sources()).not.toContain('build:new1');
    expect(await hub.existingFile('build:new1')).toBe(path.join(buildsDir, 'new1.log'));
    const left = (await readdir(buildsDir)).sort();
    expect(left).toHaveLength(4);
    expect(left).toEqual(expect.arrayContaining(['new2.log', 'new3.log']));
    expect(left).not.toContain('old0.log');
    expect(left).not.toContain('old0.log.1');
  });

  it('lists the files of the sources in memory with their sizes, and refuses a source without a file', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bb-loghub-files-'));
    dirs.push(dir);
    const hub = new LogHub({ ringLines: 100, logDir: dir });
    hub.append('app', 'info', 'hello');
    hub.append('build:b1', 'info', 'built');
    const files = await hub.files();
    expect(files.map((file) => file.source)).toEqual(['app', 'build:b1']);
    expect(files[0]).toEqual({ source: 'app', path: path.join(dir, 'app.log'), sizeBytes: expect.any(Number) });
    expect(files[0]!.sizeBytes).toBeGreaterThan('hello'.length);
    await expect(hub.existingFile('qemu')).rejects.toThrow(`There is no log file for qemu yet (it would be ${path.join(dir, 'qemu.log')})`);
  });

  it('takes no source whose build id could name another path', () => {
    const hub = new LogHub({ ringLines: 100, logDir: null });
    for (const bad of ['build:../app', 'build:a/b', 'build:', 'build:.hidden']) {
      expect(LogSourceSchema.safeParse(bad).success).toBe(false);
      hub.append(bad as 'build:x', 'info', 'nope');
      expect(hub.filePath(bad as 'build:x')).toBeNull();
    }
    expect(hub.sources()).toHaveLength(5);
    for (const good of ['app', 'nix-wiring', 'build:build-m1x2-1-3f']) expect(LogSourceSchema.safeParse(good).success).toBe(true);
  });
});
