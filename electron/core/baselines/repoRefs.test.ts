import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headIsSymbolic } from './repoRefs.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'bb-head-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('headIsSymbolic', () => {
  it('reads a branch, a detached id, and leaves reftable, odd content and a missing file to git', async () => {
    const head = async (text: string) => {
      await writeFile(path.join(dir, 'HEAD'), text);
      return headIsSymbolic(dir);
    };
    expect(await head('ref: refs/heads/main\n')).toBe(true);
    expect(await head('ref: refs/heads/not-born-yet')).toBe(true);
    expect(await head(`${'a'.repeat(40)}\n`)).toBe(false);
    expect(await head(`${'b'.repeat(64)}\n`)).toBe(false);
    expect(await head('ref: refs/heads/.invalid\n')).toBeNull();
    expect(await head(`${'a'.repeat(39)}\n`)).toBeNull();
    expect(await head('something else\n')).toBeNull();
    expect(await headIsSymbolic(path.join(dir, 'missing'))).toBeNull();
  });
});
