/**
 * The settings a command without a core reads (nix plan, apply, verify): a settings.json that is
 * not a regular file is refused at once, as the settings store refuses it, never opened (a FIFO
 * would block the command for good) and never replaced by defaults (another port than the core's).
 */
import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSettingsFile } from './builderFromState.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'bb-state-settings-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('readSettingsFile', () => {
  it('refuses a FIFO without opening it', async () => {
    const file = path.join(dir, 'settings.json');
    await execa('mkfifo', [file]);
    await expect(readSettingsFile(file, 'linux')).rejects.toMatchObject({ code: 'invalid-settings', message: `${file} is a FIFO, not a regular file: move it away and try again.` });
  });

  it('reads a regular file, and takes defaults when there is none', async () => {
    const file = path.join(dir, 'settings.json');
    expect((await readSettingsFile(file, 'linux')).cpus).toBeGreaterThan(0);
    await writeFile(file, JSON.stringify({ version: 1, hostPort: 40022 }));
    expect((await readSettingsFile(file, 'linux')).hostPort).toBe(40022);
  });
});
