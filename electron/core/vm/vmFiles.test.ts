/**
 * The boot record as adoption and the wiring read it: only what a core can have written. Its port
 * goes into the ssh config Nix uses and into connect(), so one no listener can have is no record.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VmFiles } from './profile.js';
import { bootRecordPath, readBootRecord, vmFilesIn } from './vmFiles.js';
import { testBootRecord } from './testing/bootRecords.js';

let root: string;
let files: VmFiles;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-bootrec-'));
  files = vmFilesIn(path.join(root, 'vm'));
  mkdirSync(files.vmDir);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const record = (sshPort: number) => testBootRecord(4242, { sshPort });

describe('the boot record', () => {
  it('is read with the port a core wrote', async () => {
    writeFileSync(bootRecordPath(files), JSON.stringify(record(31022)));
    expect(await readBootRecord(files)).toMatchObject({ pid: 4242, sshPort: 31022 });
  });

  it('is no record when its port is one nothing can listen on (0, past 65535, negative)', async () => {
    for (const port of [0, 65536, 99999, -22]) {
      writeFileSync(bootRecordPath(files), JSON.stringify(record(port)));
      expect(await readBootRecord(files), String(port)).toBeNull();
    }
  });
});
