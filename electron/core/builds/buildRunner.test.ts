/**
 * The runner with real Nix building locally (no builder VM), on every Nix version tests know
 * (Nix 2.8 and the current Nix, the version in each title): a success with its output path, a
 * failure with the reason, a cancel, holding a build until the builder is ready. Then what does
 * not need a real Nix: a missing Nix, and a newer Nix's unknown types in the stream. The delegated
 * builds are in buildRunner.integration.test.ts.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostPathOf, nixVersions } from '../nix/testing/nixVersions.js';
import { buildCommand, startBuild, type BuildRunState, outputPathsOf } from './buildRunner.js';
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
      '--extra-experimental-features', 'nix-command flakes', 'build', '.#hello', '--no-link', '--json', '--log-format', 'internal-json',
    ]);
  });
});

describe.each(nixVersions())('startBuild with local $label', (nix) => {
  const nixBuildCommand = path.join(nix.binDir, 'nix-build');

  it('a success ends succeeded with the derivation done locally and its output path, built by this Nix', async () => {
    const states: BuildRunState[] = [];
    const run = startBuild({ kind: 'file', file: tinyNix, attr: 'success', args: nonce() }, { env, nixBuildCommand });
    run.onState((state) => states.push(state));
    const summary = await run.summary;
    expect(summary).toMatchObject({ state: 'succeeded', exitCode: 0, error: null });
    expect(summary.derivations).toEqual([expect.objectContaining({ name: 'bb-success', state: 'done', machine: 'local' })]);
    expect(summary.outputPaths).toEqual([expect.stringMatching(/^\/nix\/store\/[0-9a-z]{32}-bb-success$/)]);
    const output = summary.outputPaths[0] ?? '';
    expect(readFileSync(hostPathOf(nix, output), 'utf8')).toBe(`${readFileSync('/proc/version', 'utf8').trim()}\n`);
    // The version under test built it: the output is in its store and in no other version's.
    for (const other of nixVersions().filter((candidate) => candidate.root !== nix.root)) expect(existsSync(hostPathOf(other, output))).toBe(false);
    expect(run.queue.derivations()[0]?.logLines).toEqual(['building success', 'a line on stderr']);
    expect(run.queue.progress()).toEqual({ done: 1, expected: 1, running: 0, failed: 0 });
    expect(states).toEqual(['succeeded']);
  });

  it('a failure ends failed with the exit code and Nix\'s reason in one line; the derivation keeps its log', async () => {
    const run = startBuild({ kind: 'file', file: tinyNix, attr: 'failure', args: nonce() }, { env, nixBuildCommand });
    const summary = await run.summary;
    // nix-build exits with 100 when a build failed.
    expect(summary).toMatchObject({ state: 'failed', exitCode: 100 });
    // 2.8: "builder for '<drv>' failed with exit code 1"; 2.34: "Cannot build '<drv>'. Reason: builder failed with exit code 1. …"
    expect(summary.error).toMatch(/^Nix exited with code 100: (builder for|Cannot build) '\/nix\/store\/[0-9a-z]{32}-bb-failure\.drv'.* failed with exit code 1\b[^\n]*$/);
    expect(summary.derivations).toEqual([expect.objectContaining({ name: 'bb-failure', state: 'failed' })]);
    expect(run.queue.derivations()[0]?.logLines).toEqual(['about to fail', 'something went wrong']);
  });

  it('a cancelled long build ends cancelled, the derivation too, well before it would have finished', async () => {
    const run = startBuild({ kind: 'file', file: tinyNix, attr: 'slow', args: [...nonce(), '--argstr', 'slowIterations', '200000000'] }, { env, nixBuildCommand, cancelGraceMs: 2_000 });
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
      nixBuildCommand,
      waitForBuilderReady: () => new Promise<void>((resolve) => { ready = resolve; }),
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(run.state()).toBe('waiting-for-builder');
    expect(run.queue.derivations()).toEqual([]);
    ready();
    expect((await run.summary).state).toBe('succeeded');

    const never = startBuild({ kind: 'file', file: tinyNix, attr: 'success', args: nonce() }, { env, nixBuildCommand, waitForBuilderReady: () => new Promise<void>(() => undefined) });
    never.cancel();
    expect(await never.summary).toMatchObject({ state: 'cancelled', exitCode: null, derivations: [] });
  });

});

describe('startBuild without a real Nix', () => {
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

  it('a newer Nix\'s unknown activity and result types show in the build\'s lines, and the build still ends right', async () => {
    const drv = `/nix/store/${'c'.repeat(32)}-bb-future.drv`;
    const records = [
      { action: 'msg', level: 3, msg: 'this derivation will be built:' },
      { action: 'msg', level: 3, msg: `  ${drv}` },
      { action: 'start', id: 1, level: 0, parent: 0, text: '', type: 104 },
      { action: 'start', id: 2, level: 3, parent: 1, text: `building '${drv}'`, type: 105, fields: [drv, '', 1, 1] },
      { action: 'start', id: 3, level: 3, parent: 2, text: 'teleporting the outputs', type: 115, fields: ['x'] },
      { action: 'result', id: 2, type: 120, fields: [1, 'y'] },
      { action: 'result', id: 2, type: 101, fields: ['still building'] },
      { action: 'stop', id: 3 },
      { action: 'result', id: 1, type: 105, fields: [1, 1, 0, 0] },
      { action: 'stop', id: 2 },
      { action: 'stop', id: 1 },
    ];
    const fake = path.join(root, 'future-nix-build');
    const stderr = records.map((record) => `@nix ${JSON.stringify(record)}`).join('\n');
    writeFileSync(fake, `#!/bin/sh\ncat >&2 <<'EOF'\n${stderr}\nEOF\necho /nix/store/${'d'.repeat(32)}-bb-future\n`);
    chmodSync(fake, 0o755);
    const seen: Array<[string, string]> = [];
    const run = startBuild({ kind: 'file', file: tinyNix }, { env, nixBuildCommand: fake, onNixLine: (line, level) => seen.push([level, line]) });
    const summary = await run.summary;
    expect(summary).toMatchObject({ state: 'succeeded', error: null, progress: { done: 1, expected: 1 } });
    expect(summary.derivations).toEqual([expect.objectContaining({ name: 'bb-future', state: 'done', machine: 'local' })]);
    expect(run.queue.derivations()[0]?.logLines).toEqual(['still building']);
    expect(run.nixLines()).toEqual(
      expect.arrayContaining(['unknown activity type 115: teleporting the outputs', `unknown result type 120 [1,"y"] from "building '${drv}'"`]),
    );
    expect(seen).toContainEqual(['warn', 'unknown activity type 115: teleporting the outputs']);
  });
});

describe('outputPathsOf: what a build printed on stdout', () => {
  it('reads nix build --json (Nix 2.8 and 2.34 print the same shape) and nix-build lines alike', () => {
    const out = `/nix/store/${'a'.repeat(32)}-x`;
    const dev = `/nix/store/${'b'.repeat(32)}-x-dev`;
    expect(outputPathsOf(`[{"drvPath":"/nix/store/${'c'.repeat(32)}-x.drv","outputs":{"out":"${out}","dev":"${dev}"}}]\n`)).toEqual([out, dev]);
    expect(outputPathsOf(`${out}\n${dev}\n`)).toEqual([out, dev]);
    expect(outputPathsOf('')).toEqual([]);
    expect(outputPathsOf('[{"outputs":{"out":42}}, null, "x"]')).toEqual([]);
    expect(outputPathsOf(`[not json\n${out}\n`)).toEqual([out]);
  });
});
