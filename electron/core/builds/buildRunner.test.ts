/**
 * The runner with real Nix building locally (no builder VM): a success with its output path, a
 * failure with the reason, a cancel, holding a build until the builder is ready, and a missing
 * Nix. The delegated builds are in buildRunner.integration.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCommand, startBuild, type BuildRunState } from './buildRunner.js';
import { writeLocalNixConf, type NixEnvironment } from './testing/nixTestConf.js';

const tinyNix = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testing', 'tiny.nix');
let root: string;
let env: NixEnvironment;

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-runner-'));
  env = await writeLocalNixConf(path.join(root, 'conf'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const nonce = (): string[] => ['--argstr', 'nonce', `${Date.now()}-${Math.random()}`];

describe('buildCommand', () => {
  it('passes paths and attributes as separate arguments, never through a shell', () => {
    expect(buildCommand({ kind: 'file', file: '/a b/$(x).nix', attr: 'p; rm -rf /' })).toEqual({
      command: 'nix-build',
      args: ['/a b/$(x).nix', '-A', 'p; rm -rf /', '--no-out-link', '--log-format', 'internal-json'],
    });
    expect(buildCommand({ kind: 'installable', installable: '.#hello' }).args).toEqual([
      '--extra-experimental-features', 'nix-command flakes', 'build', '.#hello', '--no-link', '--print-out-paths', '--log-format', 'internal-json',
    ]);
  });
});

describe('startBuild with local Nix', () => {
  it('a success ends succeeded with the derivation done locally and its output path', async () => {
    const states: BuildRunState[] = [];
    const run = startBuild({ kind: 'file', file: tinyNix, attr: 'success', args: nonce() }, { env });
    run.onState((state) => states.push(state));
    const summary = await run.summary;
    expect(summary).toMatchObject({ state: 'succeeded', exitCode: 0, error: null });
    expect(summary.derivations).toEqual([expect.objectContaining({ name: 'bb-success', state: 'done', machine: 'local' })]);
    expect(summary.outputPaths).toEqual([expect.stringMatching(/^\/nix\/store\/[0-9a-z]{32}-bb-success$/)]);
    expect(readFileSync(summary.outputPaths[0] ?? '', 'utf8')).toBe(`${readFileSync('/proc/version', 'utf8').trim()}\n`);
    expect(run.queue.derivations()[0]?.logLines).toEqual(['building success', 'a line on stderr']);
    expect(states).toEqual(['succeeded']);
  });

  it('a failure ends failed with the exit code and Nix\'s reason; the derivation keeps its log', async () => {
    const run = startBuild({ kind: 'file', file: tinyNix, attr: 'failure', args: nonce() }, { env });
    const summary = await run.summary;
    // nix-build exits with 100 when a build failed.
    expect(summary).toMatchObject({ state: 'failed', exitCode: 100 });
    expect(summary.error).toMatch(/^Nix exited with code 100: builder for '.*-bb-failure\.drv' failed with exit code 1$/);
    expect(summary.derivations).toEqual([expect.objectContaining({ name: 'bb-failure', state: 'failed' })]);
    expect(run.queue.derivations()[0]?.logLines).toEqual(['about to fail', 'something went wrong']);
  });

  it('a cancelled long build ends cancelled, the derivation too, well before it would have finished', async () => {
    const run = startBuild({ kind: 'file', file: tinyNix, attr: 'slow', args: [...nonce(), '--argstr', 'slowIterations', '200000000'] }, { env, cancelGraceMs: 2_000 });
    await new Promise<void>((resolve) => {
      const stop = run.queue.onChange((change) => {
        if (change.type === 'log-line' && change.line === 'slow build started') {
          stop();
          resolve();
        }
      });
    });
    const cancelledAt = Date.now();
    run.cancel();
    const summary = await run.summary;
    expect(Date.now() - cancelledAt).toBeLessThan(5_000);
    expect(summary.state).toBe('cancelled');
    expect(summary.derivations).toEqual([expect.objectContaining({ name: 'bb-slow', state: 'cancelled' })]);
    expect(summary.outputPaths).toEqual([]);
  });

  it('holds the build until the builder is ready, and a cancel while waiting ends it at once', async () => {
    let ready: () => void = () => undefined;
    const run = startBuild({ kind: 'file', file: tinyNix, attr: 'success', args: nonce() }, {
      env,
      waitForBuilderReady: () => new Promise<void>((resolve) => { ready = resolve; }),
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(run.state()).toBe('waiting-for-builder');
    expect(run.queue.derivations()).toEqual([]);
    ready();
    expect((await run.summary).state).toBe('succeeded');

    const never = startBuild({ kind: 'file', file: tinyNix, attr: 'success', args: nonce() }, { env, waitForBuilderReady: () => new Promise<void>(() => undefined) });
    never.cancel();
    expect(await never.summary).toMatchObject({ state: 'cancelled', exitCode: null, derivations: [] });
  });

  it('a builder that fails to start fails the build with its reason, without running Nix', async () => {
    const run = startBuild({ kind: 'file', file: tinyNix, attr: 'success' }, { env, waitForBuilderReady: async () => { throw new Error('QEMU exited with code 1'); } });
    expect(await run.summary).toMatchObject({ state: 'failed', error: 'The builder did not become ready: QEMU exited with code 1' });
  });

  it('a missing Nix ends failed with a message, not a crash', async () => {
    const run = startBuild({ kind: 'file', file: tinyNix }, { env, nixBuildCommand: path.join(root, 'no-such-nix-build') });
    const summary = await run.summary;
    expect(summary.state).toBe('failed');
    expect(summary.error).toMatch(/ENOENT|not found|no-such-nix-build/);
  });
});
