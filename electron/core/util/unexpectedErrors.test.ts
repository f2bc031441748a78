/**
 * A real Node process with the guard installed: a promise rejected with nothing waiting for it
 * is reported to the terminal and to a registered sink, and the process goes on to finish its
 * work. Without the guard plain Node exits with code 1 at the rejection (the control case).
 * The module is bundled with esbuild so the child runs plain JavaScript.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;

async function bundle(name: string, source: string): Promise<string> {
  const entry = path.join(dir, `${name}.ts`);
  writeFileSync(entry, source);
  const out = path.join(dir, `${name}.mjs`);
  await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'silent' });
  return out;
}

const rejectThenWork = (guarded: boolean): string => `
import { guardProcess, reportUnexpectedErrorsTo } from ${JSON.stringify(path.resolve('electron/core/util/unexpectedErrors.ts'))};
${guarded ? "guardProcess((text) => process.stderr.write('terminal: ' + text + '\\n'));" : ''}
reportUnexpectedErrorsTo((text) => process.stdout.write('app log: ' + text.split('\\n')[0] + '\\n'));
reportUnexpectedErrorsTo(() => { throw new Error('a closed log'); });
Promise.reject(new Error('disk is read-only'));
setTimeout(() => process.stdout.write('still serving\\n'), 200);
`;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'builder-bar-guard-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('guardProcess', () => {
  it('reports an unhandled rejection to the terminal and the app log, and the process keeps working', async () => {
    const script = await bundle('guarded', rejectThenWork(true));
    const result = await execa(process.execPath, [script], { reject: false });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('app log: Unexpected error (a promise rejected with nothing waiting for it); Builder Bar keeps running: Error: disk is read-only');
    expect(result.stdout).toContain('still serving');
    expect(result.stderr).toContain('terminal: Unexpected error');
    expect(result.stderr).toContain('disk is read-only');
  });

  it('without it, plain Node dies at the rejection (what serve did before)', async () => {
    const script = await bundle('unguarded', rejectThenWork(false));
    const result = await execa(process.execPath, [script], { reject: false });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).not.toContain('still serving');
  });
});
