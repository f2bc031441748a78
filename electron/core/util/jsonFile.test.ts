import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseJsonWith, readJsonOrNull } from './jsonFile.js';

const Schema = z.object({ pid: z.number().int() });

describe('JSON files read through their schema', () => {
  it('gives the value, or a reason that says whether it was not JSON or not the shape', () => {
    expect(parseJsonWith(Schema, '{"pid": 7}')).toEqual({ ok: true, value: { pid: 7 } });
    expect(parseJsonWith(Schema, '{"pid": 7')).toMatchObject({ ok: false, reason: expect.stringMatching(/^not JSON: /) });
    expect(parseJsonWith(Schema, '{"pid": "7"}')).toMatchObject({ ok: false, reason: expect.stringMatching(/^unexpected shape: .* at pid$/) });
  });

  it('reads null for a missing, truncated, forged or unreadable file', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bb-json-'));
    try {
      const file = path.join(dir, 'record.json');
      expect(await readJsonOrNull(file, Schema)).toBeNull();
      await fs.writeFile(file, '{"pid": 12');
      expect(await readJsonOrNull(file, Schema)).toBeNull();
      await fs.writeFile(file, '{"pid": -1.5}');
      expect(await readJsonOrNull(file, Schema)).toBeNull();
      await fs.writeFile(file, '{"pid": 12}');
      expect(await readJsonOrNull(file, Schema)).toEqual({ pid: 12 });
      expect(await readJsonOrNull(dir, Schema)).toBeNull();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
