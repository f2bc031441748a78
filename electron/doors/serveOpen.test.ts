/**
 * `serve --open` and `start-app` (without Electron, it falls back to `serve --open`): the
 * browser opener gets a file path, never the URL with the token, since every local user can
 * read an opener's arguments in the process list.
 */
import { prepareStateDir } from '../core/stateDir.js';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliIo } from './cli/cliIo.js';
import { runCli } from './cli/runCli.js';
import { transportCore } from './testing/transportCore.js';

interface Opened {
  command: string;
  args: readonly string[];
}

describe.each([
  { name: 'serve --open', argv: ['serve', '--open'] },
  { name: 'start-app without Electron', argv: ['start-app'] },
])('$name', ({ argv }) => {
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'bb-open-'));
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  it('hands the opener a 0600 page in the state dir that leads to the URL, with no token in its arguments, and removes the page on stop', async () => {
    // A page left by an earlier run that was killed (in a state dir that run made): stale, so it goes.
    await prepareStateDir(stateDir);
    const stale = path.join(stateDir, 'open-00112233445566ff.html');
    writeFileSync(stale, 'old');
    const opened: Opened[] = [];
    let pageSeen: { mode: number; html: string } | null = null;
    const controller = new AbortController();
    const out: string[] = [];
    const err: string[] = [];
    // No DISPLAY: start-app cannot open an Electron window and runs the headless door.
    const io: CliIo = { out: (line) => out.push(line), err: (line) => err.push(line), env: {}, signal: controller.signal };
    const running = runCli(['--state-dir', stateDir, ...argv], io, {
      serve: {
        createCore: async () => transportCore(stateDir),
        runOpener: async (command, args) => {
          opened.push({ command, args });
          pageSeen = { mode: statSync(args[0]!).mode & 0o777, html: readFileSync(args[0]!, 'utf8') };
          return null;
        },
      },
    });
    try {
      const deadline = Date.now() + 10_000;
      while (opened.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));

      const url = /^Builder Bar is serving on (http:\/\/127\.0\.0\.1:\d+\/#token=([A-Za-z0-9_-]{43}))$/.exec(out[0] ?? '');
      expect(url, `stdout still prints the URL with its token: ${out.join('\n')}`).not.toBeNull();
      const token = url![2]!;
      expect(opened).toHaveLength(1);
      expect(opened[0]!.args.join(' ')).not.toContain(token);
      const [file] = opened[0]!.args;
      expect(path.dirname(file!)).toBe(stateDir);
      expect(pageSeen).toEqual({ mode: 0o600, html: expect.stringContaining(`location.replace(${JSON.stringify(url![1])})`) });
      expect(existsSync(stale)).toBe(false);
      expect(err.filter((line) => line.startsWith('Could not open'))).toEqual([]);

      controller.abort();
      expect(await running).toBe(0);
      expect(existsSync(file!)).toBe(false);
      expect(readdirSync(stateDir).filter((name) => name.endsWith('.html'))).toEqual([]);
    } finally {
      // Serve stopped before afterEach removes the state dir it serves from, also when a check above failed.
      controller.abort();
      await running.catch(() => undefined);
    }
  }, 20_000);
});
