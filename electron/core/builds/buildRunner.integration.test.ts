/**
 * Delegated builds through BuildRunner against the real linux-test guest (QEMU under TCG, real
 * ssh, real Nix on both sides), wired by a Nix conf dir this test owns, on every Nix version
 * tests know as the client (Nix 2.8 and the current Nix; the guest runs 2.8). One boot for the
 * file; every QEMU it starts is gone after afterAll. A builder lost mid-build is in
 * buildThroughCore.integration.test.ts, where the core restarts it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostPathOf, nixVersions } from '../nix/testing/nixVersions.js';
import { startBuild } from './buildRunner.js';
import { testMachineUri, writeRemoteNixConf, type NixEnvironment } from './testing/nixTestConf.js';
import { bootTestBuilder, type TestBuilder } from './testing/testBuilder.js';

const tinyNix = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testing', 'tiny.nix');
const machine = testMachineUri('ssh');
let root: string;
let builder: TestBuilder | null = null;
let env: NixEnvironment;
let guestVersion: string;

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-builds-int-'));
  builder = await bootTestBuilder(path.join(root, 'state'));
  env = await writeRemoteNixConf(path.join(root, 'conf'), { keysDir: builder.paths.keysDir, sshPort: builder.sshPort, user: builder.sshUser });
  guestVersion = (await builder.supervisor.exec('cat /proc/version')).stdout.trim();
});

afterAll(async () => {
  await builder?.shutdown();
  rmSync(root, { recursive: true, force: true });
});

// Only the builder may build: with --max-jobs 0 a build that cannot be delegated fails.
const remoteOnly = (extra: string[] = []): string[] => ['--argstr', 'nonce', `${Date.now()}-${Math.random()}`, '--max-jobs', '0', ...extra];

describe.each(nixVersions())('BuildRunner against the real builder, $label as the client', (nix) => {
  const nixBuildCommand = path.join(nix.binDir, 'nix-build');

  it('three derivations are each built on the builder, and the output proves it ran in the guest and came back to this Nix\'s store', async () => {
    const hostVersion = readFileSync('/proc/version', 'utf8').trim();
    expect(guestVersion).toMatch(/^Linux version /);
    expect(guestVersion).not.toBe(hostVersion);

    const run = startBuild({ kind: 'file', file: tinyNix, attr: 'joined', args: remoteOnly() }, { env, nixBuildCommand });
    const copying: string[] = [];
    run.queue.onChange((change) => {
      if (change.type === 'derivation-updated' && change.derivation.state === 'copying') copying.push(change.derivation.name);
    });
    const summary = await run.summary;
    expect(summary.error).toBeNull();
    expect(summary.state).toBe('succeeded');
    expect(summary.derivations.map((entry) => [entry.name, entry.state, entry.machine]).sort()).toEqual([
      ['bb-joined', 'done', machine],
      ['bb-left', 'done', machine],
      ['bb-right', 'done', machine],
    ]);
    expect(copying.sort()).toEqual(['bb-joined', 'bb-left', 'bb-right']);
    expect(summary.progress).toMatchObject({ done: 3, expected: 3, failed: 0 });
    const [output = ''] = summary.outputPaths;
    expect(summary.outputPaths).toHaveLength(1);
    expect(readFileSync(hostPathOf(nix, output), 'utf8').split('\n')).toEqual([`left ${guestVersion}`, `right ${guestVersion}`, `joined ${guestVersion}`, '']);
    // The version under test ran the build: its store got the output, no other version's did.
    for (const other of nixVersions().filter((candidate) => candidate.root !== nix.root)) expect(existsSync(hostPathOf(other, output))).toBe(false);
  });

  it('a failing derivation ends failed on the builder, with the lines it printed', async () => {
    const run = startBuild({ kind: 'file', file: tinyNix, attr: 'failure', args: remoteOnly() }, { env, nixBuildCommand });
    const summary = await run.summary;
    expect(summary.state).toBe('failed');
    expect(summary.error).toMatch(/failed with exit code 1/);
    expect(summary.derivations).toEqual([expect.objectContaining({ name: 'bb-failure', state: 'failed', machine })]);
    expect(run.queue.derivations()[0]?.logLines).toEqual(expect.arrayContaining(['about to fail', 'something went wrong']));
  });

  it('a cancelled long build ends cancelled', async () => {
    const run = startBuild(
      { kind: 'file', file: tinyNix, attr: 'slow', args: remoteOnly(['--argstr', 'slowIterations', '50000000']) },
      { env, nixBuildCommand, cancelGraceMs: 5_000 },
    );
    await new Promise<void>((resolve) => {
      const stop = run.queue.onChange((change) => {
        if (change.type === 'log-line' && change.line === 'slow build started') {
          stop();
          resolve();
        }
      });
    });
    expect(run.queue.derivations()[0]).toMatchObject({ state: 'building', machine });
    const cancelledAt = Date.now();
    run.cancel();
    const summary = await run.summary;
    expect(Date.now() - cancelledAt).toBeLessThan(15_000);
    expect(summary.state).toBe('cancelled');
    expect(summary.derivations).toEqual([expect.objectContaining({ name: 'bb-slow', state: 'cancelled', machine })]);
    expect(summary.outputPaths).toEqual([]);
  });
});
