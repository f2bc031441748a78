/** `builder-bar diagnostics` over the real CLI socket, against a transport core (no VM, no archive). */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transportCore, type TransportCore } from '../testing/transportCore.js';
import type { CliIo } from './cliIo.js';
import { runCli } from './runCli.js';

function recorder() {
  const controller = new AbortController();
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (line) => out.push(line), err: (line) => err.push(line), env: {}, signal: controller.signal };
  return { io, out, err, abort: () => controller.abort() };
}

describe('builder-bar diagnostics', () => {
  let workDir: string;
  let stateDir: string;
  let core: TransportCore;
  let serveRun: ReturnType<typeof recorder>;
  let serving: Promise<number>;

  beforeAll(async () => {
    workDir = mkdtempSync(path.join(os.tmpdir(), 'bb-cli-diag-'));
    stateDir = path.join(workDir, 'state');
    core = transportCore(stateDir);
    serveRun = recorder();
    serving = runCli(['--state-dir', stateDir, 'serve'], serveRun.io, { serve: { createCore: async () => core, rendererDir: path.join(workDir, 'renderer') } });
    const deadline = Date.now() + 5000;
    while (serveRun.out.length === 0 && serveRun.err.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  });

  afterAll(async () => {
    serveRun.abort();
    await serving;
    rmSync(workDir, { recursive: true, force: true });
  });

  it('prints the path of the bundle the core wrote into the log dir', async () => {
    const run = recorder();
    expect(await runCli(['--state-dir', stateDir, 'diagnostics'], run.io)).toBe(0);
    expect(run.out).toEqual([path.join(stateDir, 'logs', 'builder-bar-diagnostics-20231114T221320Z.tar.gz')]);
    expect(core.received.at(-1)).toMatchObject({ name: 'diagnostics.create', input: {}, door: 'cli' });
  });

  it('sends --out as an absolute directory, resolved against the shell directory', async () => {
    const run = recorder();
    expect(await runCli(['--state-dir', stateDir, 'diagnostics', '--out', 'bundles'], run.io)).toBe(0);
    expect(core.received.at(-1)?.input).toEqual({ outDir: path.resolve(process.cwd(), 'bundles') });
    expect(run.out[0]).toBe(path.join(path.resolve(process.cwd(), 'bundles'), 'builder-bar-diagnostics-20231114T221320Z.tar.gz'));
  });
});
