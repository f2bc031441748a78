import { mkdtempSync, rmSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliIo } from './cliIo.js';
import { runNixCommand } from './nixCommand.js';

interface Recorder extends CliIo {
  stdout: string[];
  stderr: string[];
}

function recorder(): Recorder {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (line) => stdout.push(line), err: (line) => stderr.push(line), env: {}, signal: new AbortController().signal };
}

let root: string;
let stateDir: string;
let confDir: string;

beforeEach(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-nixcli-'));
  stateDir = path.join(root, 'state');
  confDir = path.join(root, 'conf');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('builder-bar nix', () => {
  it('prints its help with the four commands and --conf-dir', async () => {
    const io = recorder();
    expect(await runNixCommand(['--help'], io)).toBe(0);
    const help = io.stdout.join('\n');
    for (const word of ['plan', 'apply', 'remove', 'verify', '--conf-dir DIR', 'NIX_SSHOPTS']) expect(help).toContain(word);
  });

  it('refuses an unknown command and a missing one with exit 2', async () => {
    const io = recorder();
    expect(await runNixCommand(['wire'], io)).toBe(2);
    expect(io.stderr[0]).toBe('builder-bar nix: "wire" is not a nix command.');
    expect(await runNixCommand([], recorder())).toBe(2);
  });

  it('on Linux without --conf-dir refuses: system wiring is the macOS admin step', async () => {
    const io = recorder();
    expect(await runNixCommand(['plan', '--state-dir', stateDir], io, { platform: 'linux' })).toBe(2);
    expect(io.stderr.join('\n')).toContain('Wiring the system Nix configuration (/etc/nix) is the macOS admin step');
    expect(io.stderr.join('\n')).toContain('--conf-dir DIR');
  });

  it('plan writes nothing; apply writes and prints the environment; apply again writes nothing; remove deletes', async () => {
    const planIo = recorder();
    expect(await runNixCommand(['plan', '--state-dir', stateDir, '--conf-dir', confDir, '--json'], planIo, { platform: 'linux' })).toBe(0);
    const planned = JSON.parse(planIo.stdout.join('\n')) as { ok: boolean; plan: { files: Array<{ path: string; after: string; secret: boolean }> } };
    expect(planned.ok).toBe(true);
    expect(planned.plan.files.find((file) => file.secret)?.after).toBe('');
    await expect(fs.readdir(confDir)).rejects.toThrow();

    const applyIo = recorder();
    expect(await runNixCommand(['apply', '--state-dir', stateDir, '--conf-dir', confDir], applyIo, { platform: 'linux' })).toBe(0);
    expect(applyIo.stdout.join('\n')).toContain(`export NIX_CONF_DIR=${confDir}`);
    expect(applyIo.stdout.join('\n')).toContain(`export NIX_SSHOPTS='-F ${confDir}/ssh_config'`);
    expect((await fs.readdir(confDir)).sort()).toEqual(['builder-bar_ed25519', 'known_hosts', 'machines', 'nix.conf', 'ssh_config']);
    // The key Nix uses is this install's client key.
    expect(await fs.readFile(path.join(confDir, 'builder-bar_ed25519'), 'utf8')).toBe(await fs.readFile(path.join(stateDir, 'keys', 'client_ed25519'), 'utf8'));

    const again = recorder();
    expect(await runNixCommand(['apply', '--state-dir', stateDir, '--conf-dir', confDir], again, { platform: 'linux' })).toBe(0);
    expect(again.stdout[0]).toContain('is already wired; nothing written.');

    const removeIo = recorder();
    expect(await runNixCommand(['remove', '--state-dir', stateDir], removeIo, { platform: 'linux' })).toBe(0);
    expect(await fs.readdir(confDir)).toEqual([]);
  });
});
