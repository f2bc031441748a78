import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildView, RemoteBuilder } from '../../ipc/contract.js';
import { runNixCommand } from '../../doors/cli/nixCommand.js';
import { dispatch } from '../../doors/dispatch.js';
import type { Core } from '../core.js';
import { createCore } from '../createCore.js';
import { hostPathOf, nixVersions } from '../nix/testing/nixVersions.js';
import { CLIENT_KEY_FILE, HOST_KEY_FILE } from '../vm/keyStore.js';
import { freeLoopbackPort } from '../vm/testing/freeLoopbackPort.js';
import { generateEd25519KeyPair } from '../vm/ed25519KeyPair.js';
import { linuxTestProfile } from '../vm/profiles/linuxTest.js';

// The real linux-test guest (OpenSSH, user builder, Nix 2.8) stands in for a remote builder on the
// network:
// the health check speaks real ssh to it and runs the real nix-store; then, on every Nix version
// tests know as the client (chosen by the nixBinDir setting, the version in the title), a build
// only the user's builder can take goes to it through the wiring. One guest for the file.
let core: Core;
let stateDir: string;
let guest: RemoteBuilder;

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(os.homedir(), '.bb-remote-it-'));
  core = await createCore({ stateDir, platform: 'linux' });
  await core.handle('settings.set', { patch: { hostPort: await freeLoopbackPort() } }, 'cli');
  const status = await core.handle('vm.start', { wait: true, timeoutSeconds: 300 }, 'cli');
  expect(status.state).toBe('ready');
  guest = {
    id: 'guest',
    protocol: 'ssh',
    user: linuxTestProfile.sshUser,
    host: '127.0.0.1',
    port: status.sshPort!,
    systems: ['x86_64-linux'],
    maxJobs: 1,
    speedFactor: 1,
    supportedFeatures: [],
    sshKey: path.join(stateDir, 'keys', CLIENT_KEY_FILE),
    hostKey: (await readFile(path.join(stateDir, 'keys', `${HOST_KEY_FILE}.pub`), 'utf8')).trim(),
  };
});

afterAll(async () => {
  await core?.close({ stopBuilder: true });
  await rm(stateDir, { recursive: true, force: true });
});

describe('remote builders against a real ssh + Nix machine', () => {
  it('adds a builder through the contract and finds it healthy, with its Nix version', async () => {
    const reply = await dispatch(core, 'cli', 'builders.add', { builder: guest });
    expect(reply).toMatchObject({ ok: true, value: { builders: [{ builder: { id: 'guest' }, health: { state: 'ok', nixVersion: 'nix-store (Nix) 2.8.0' } }] } });
  });

  it('reports a changed host key instead of trusting it', async () => {
    const other = generateEd25519KeyPair().public;
    await dispatch(core, 'cli', 'builders.add', { builder: { ...guest, id: 'impostor-check', hostKey: other } });
    const reply = await dispatch(core, 'cli', 'builders.check', { id: 'impostor-check' });
    expect(reply.ok).toBe(true);
    const entry = reply.ok ? (reply.value as { builders: { builder: RemoteBuilder; health: { state: string; message: string } }[] }).builders.find((b) => b.builder.id === 'impostor-check') : undefined;
    expect(entry?.health.state).toBe('host-key-mismatch');
    expect(entry?.health.message).toMatch(/someone may be impersonating it/);
  });

  it('refuses a builder whose fields do not fit the contract, naming the field', async () => {
    const reply = await dispatch(core, 'cli', 'builders.add', { builder: { ...guest, id: 'Bad Name!' } });
    expect(reply).toMatchObject({ ok: false, error: { code: 'invalid-request', message: expect.stringMatching(/builder\.id: use 1-31 lower-case letters/) } });
  });
});

/** Builds in the core's queue end with one of these. */
function finished(id: string): Promise<BuildView> {
  return new Promise((resolve) => {
    const unsubscribe = core.subscribe((event) => {
      if (event.name === 'build' && event.payload.id === id && ['succeeded', 'failed', 'cancelled'].includes(event.payload.state)) {
        unsubscribe();
        resolve(event.payload);
      }
    });
  });
}

describe.each(nixVersions())('a build that only the user\'s builder can take, $label as the client', (nix) => {
  // The VM's own entry declares no features; the guest's Nix has `benchmark` among its default
  // system-features (a feature the remote Nix lacks makes it refuse the build).
  const FEATURE = 'benchmark';

  beforeAll(async () => {
    await core.handle('settings.set', { patch: { nixBinDir: nix.binDir } }, 'cli');
    expect((await core.handle('app.info', {}, 'cli')).nix).toMatchObject({ found: true, version: nix.version });
    const listed = await dispatch(core, 'cli', 'builders.list', {});
    const has = listed.ok && (listed.value as { builders: { builder: RemoteBuilder }[] }).builders.some((entry) => entry.builder.id === 'userbox');
    // The same guest under another name, declaring a feature the VM's own entry does not.
    if (!has) expect(await dispatch(core, 'cli', 'builders.add', { builder: { ...guest, id: 'userbox', supportedFeatures: [FEATURE] } })).toMatchObject({ ok: true });
    const io = { out: () => undefined, err: (line: string) => console.error(line), env: process.env, signal: new AbortController().signal };
    expect(await runNixCommand(['apply', '--conf-dir', path.join(stateDir, 'nixconf'), '--state-dir', stateDir], io)).toBe(0);
  });

  it('goes to the user\'s builder through the wiring, shows it as the machine, and comes back to this Nix\'s store', async () => {
    const file = path.join(stateDir, `feature-${nix.version}.nix`);
    await writeFile(
      file,
      `builtins.derivation { name = "bb-user-builder-job"; system = "x86_64-linux"; builder = "/bin/sh"; requiredSystemFeatures = [ "${FEATURE}" ];
         args = [ "-c" "read h < /proc/sys/kernel/hostname; echo $h > $out; echo on-the-user-builder" ]; nonce = "${Date.now()}-${nix.version}"; }\n`,
    );
    const started = await core.handle('builds.start', { target: { kind: 'file', file } }, 'cli');
    const view = await finished(started.id);
    expect(view.error).toBeNull();
    expect(view).toMatchObject({ state: 'succeeded', progress: { done: 1, expected: 1, failed: 0 } });
    expect(view.derivations).toEqual([expect.objectContaining({ name: 'bb-user-builder-job', state: 'done', machine: expect.stringMatching(/builder-bar-userbox/) })]);
    const output = view.outputPaths[0] ?? '';
    expect(await readFile(hostPathOf(nix, output), 'utf8')).toBe('builder-bar\n');
    for (const other of nixVersions().filter((candidate) => candidate.root !== nix.root)) expect(existsSync(hostPathOf(other, output))).toBe(false);
    const log = await core.handle('builds.log', { id: started.id, drvPath: view.derivations[0]!.drvPath }, 'cli');
    expect(log.lines).toContain('on-the-user-builder');
  });
});
