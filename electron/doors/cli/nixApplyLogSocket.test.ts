/**
 * `builder-bar nix apply --conf-dir` without a running core, with a Nix that has json-log-path:
 * the nix.conf block points it at the state dir's socket, and a dead socket is put there at
 * once, so a Nix that runs before the core ever started is refused (and goes on) instead of
 * writing a log file at that path. Remove takes the line out.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nixLogSocketPath } from '../../core/builds/logSocket.js';
import { fakeInstallation, fixedNix } from '../../core/nix/testing/fakeNix.js';
import { testDetection } from '../../core/nix/testing/gatedDetect.js';
import type { CliIo } from './cliIo.js';
import { runNixCommand } from './nixCommand.js';
import { socketAnswer } from '../../core/builds/testing/socketAnswer.js';

let root: string;
let stateDir: string;
let confDir: string;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-nixcli-logsock-'));
  stateDir = path.join(root, 'state');
  confDir = path.join(root, 'conf');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function io(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (line) => stdout.push(line), err: (line) => stderr.push(line), env: {}, signal: new AbortController().signal };
}

describe('nix apply with a Nix that has json-log-path, no core running', () => {
  it('wires json-log-path to the state dir\'s socket and leaves a dead socket there; remove takes the line out', async () => {
    const options = { platform: 'linux' as const, detect: async () => testDetection, nix: fixedNix(fakeInstallation('/opt/nix/bin', '2.34.8')) };
    const apply = io();
    expect(await runNixCommand(['apply', '--state-dir', stateDir, '--conf-dir', confDir], apply, options)).toBe(0);
    const socketPath = nixLogSocketPath(stateDir);
    expect(await fs.readFile(path.join(confDir, 'nix.conf'), 'utf8')).toContain(`\njson-log-path = ${socketPath}\n`);
    expect((await fs.lstat(socketPath)).isSocket()).toBe(true);
    expect(await socketAnswer(socketPath)).toBe('ECONNREFUSED');

    expect(await runNixCommand(['remove', '--state-dir', stateDir], io(), { platform: 'linux' })).toBe(0);
    expect(await fs.readdir(confDir)).toEqual([]);
  });

  it('with Nix 2.8 writes no json-log-path and makes no socket', async () => {
    const options = { platform: 'linux' as const, detect: async () => testDetection, nix: fixedNix(fakeInstallation('/usr/bin', '2.8.0')) };
    expect(await runNixCommand(['apply', '--state-dir', stateDir, '--conf-dir', confDir], io(), options)).toBe(0);
    expect(await fs.readFile(path.join(confDir, 'nix.conf'), 'utf8')).not.toContain('json-log-path');
    await expect(fs.lstat(nixLogSocketPath(stateDir))).rejects.toThrow(/ENOENT/);
  });
});
