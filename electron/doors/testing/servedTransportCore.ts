/**
 * A transport core served by `builder-bar serve` over the real CLI socket, for tests of a CLI
 * command as a client of the core: `start` in beforeAll, `run` per command, `stop` in afterAll.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CliIo } from '../cli/cliIo.js';
import { runCli } from '../cli/runCli.js';
import { transportCore, type TransportCore } from './transportCore.js';

export interface CliRecorder {
  io: CliIo;
  out: string[];
  err: string[];
  abort: () => void;
}

/** A CLI's output, line by line, and a way to interrupt it (Ctrl-C). */
export function cliRecorder(): CliRecorder {
  const controller = new AbortController();
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (line) => out.push(line), err: (line) => err.push(line), env: {}, signal: controller.signal };
  return { io, out, err, abort: () => controller.abort() };
}

export interface ServedTransportCore {
  stateDir: string;
  core: TransportCore;
  /** Runs `builder-bar --state-dir <stateDir> ...argv` and returns its exit code. */
  run(argv: string[], recorder?: CliRecorder): Promise<number>;
  stop(): Promise<void>;
}

export async function serveTransportCore(prefix: string, overrides?: Parameters<typeof transportCore>[1]): Promise<ServedTransportCore> {
  const workDir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const stateDir = path.join(workDir, 'state');
  const core = transportCore(stateDir, overrides);
  const serveRun = cliRecorder();
  const serving = runCli(['--state-dir', stateDir, 'serve'], serveRun.io, { serve: { createCore: async () => core, rendererDir: path.join(workDir, 'renderer') } });
  const stop = async (): Promise<void> => {
    serveRun.abort();
    try {
      await serving;
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  };
  const deadline = Date.now() + 5000;
  while (serveRun.out.length === 0 && serveRun.err.length === 0) {
    if (Date.now() > deadline) {
      await stop();
      throw new Error('serve printed nothing within 5 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return {
    stateDir,
    core,
    run: (argv, recorder = cliRecorder()) => runCli(['--state-dir', stateDir, ...argv], recorder.io),
    stop,
  };
}
