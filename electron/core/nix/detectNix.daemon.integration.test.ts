/**
 * Detection against real Nix on every version (nixVersions.ts), single-user and through a real
 * nix-daemon (testing/nixDaemonRig.ts): which store the client uses (NIX_REMOTE, the socket)
 * and whether the daemon trusts the user. Everything here runs as root, so a daemon distrusts
 * the client the way it distrusts any Mac user: its trusted-users does not name the client's
 * user (root) (Nix's authPeer, src/nix/daemon.cc in 2.8, src/nix/unix/daemon.cc in 2.34).
 * No guest: nothing is built.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { detectNix, realDetectDeps } from './detectNix.js';
import { nixHas } from './nixFeatures.js';
import { environmentNix } from './nixInstallation.js';
import { DAEMON_BASE_CONF, startNixDaemon, stopAllNixDaemons } from './testing/nixDaemonRig.js';
import { nixVersions, type TestNix } from './testing/nixVersions.js';

const DISTRUSTING = 'trusted-users = somebody-else\n';
// Made in beforeAll, not when the file loads: with every test here filtered out or skipped (or no Nix versions), no afterAll runs.
let root = '';

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-detect-daemon-'));
});

afterEach(async () => {
  await stopAllNixDaemons();
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.each(nixVersions())('detectNix on $label', (nix: TestNix) => {
  let count = 0;
  const dir = () => path.join(root, `${nix.version}-${(count += 1)}`);
  const detect = async (env: Record<string, string>) => {
    const resolution = await environmentNix({ ...process.env, BUILDER_BAR_NIX_BIN_DIR: nix.binDir }).resolve();
    return detectNix({ ...realDetectDeps(), user: 'root', groups: async () => ['root'] }, { env, nix: resolution });
  };

  it('single-user (no daemon socket, NIX_REMOTE unset): trusted, the version that runs', async () => {
    const rig = await startNixDaemon(nix, { dir: dir() });
    const { NIX_REMOTE: _daemon, NIX_DAEMON_SOCKET_PATH: _socket, ...singleUser } = rig.clientEnv;
    const detection = await detect({ ...singleUser, NIX_REMOTE: '' });
    expect(detection.version).toBe(nix.version);
    expect(detection.mode).toBe('single-user');
    expect(detection.trusted).toBe(true);
  });

  it('through a nix-daemon that trusts root: daemon mode, trusted', async () => {
    const rig = await startNixDaemon(nix, { dir: dir() });
    const detection = await detect(rig.clientEnv);
    expect(detection.mode).toBe('daemon');
    expect(detection.trusted).toBe(true);
    expect(detection.problems.map((problem) => problem.code)).not.toContain('user-not-trusted');
  });

  it('through --store unix://<socket> in NIX_REMOTE: daemon mode too', async () => {
    const rig = await startNixDaemon(nix, { dir: dir() });
    const detection = await detect({ ...rig.clientEnv, NIX_REMOTE: `unix://${rig.socket}`, NIX_DAEMON_SOCKET_PATH: '/nonexistent/socket' });
    expect(detection.mode).toBe('daemon');
  });

  it('a daemon whose trusted-users leaves the user out, with the same nix.conf line on the client (as on a Mac): not trusted, and the fix says how to restart', async () => {
    const d = dir();
    const rig = await startNixDaemon(nix, { dir: d, env: { NIX_CONF_DIR: path.join(d, 'daemon-conf') }, clientConf: DISTRUSTING, daemonConf: `${DAEMON_BASE_CONF}${DISTRUSTING}` });
    const detection = await detect(rig.clientEnv);
    expect(detection.mode).toBe('daemon');
    expect(detection.trusted).toBe(false);
    const problem = detection.problems.find((entry) => entry.code === 'user-not-trusted');
    expect(problem?.message).toContain('silently ignores the builders you pass');
    expect(problem?.fix).toMatch(/trusted-users = root root.*restart the nix-daemon \((sudo systemctl restart nix-daemon\.service|sudo launchctl kickstart -k system\/org\.nixos\.nix-daemon)\)/);
  });

  it('a daemon whose allowed-users leaves the user out: it refuses the connection, detect says so in words (not "not trusted")', async () => {
    const d = dir();
    const rig = await startNixDaemon(nix, { dir: d, daemonConf: `${DAEMON_BASE_CONF}allowed-users = somebody-else\n${DISTRUSTING}` });
    const detection = await detect(rig.clientEnv);
    expect(detection.mode).toBe('daemon');
    const codes = detection.problems.map((problem) => problem.code);
    expect(codes).toContain('daemon-refuses-user');
    expect(codes).not.toContain('user-not-trusted');
    const problem = detection.problems.find((entry) => entry.code === 'daemon-refuses-user')!;
    expect(problem.blocking).toBe(true);
    expect(problem.message).toContain('allowed-users leaves you out');
    expect(problem.fix).toMatch(/allowed-users .* restart the nix-daemon/);
    // What the daemon itself logged, which the client never sees.
    expect(rig.output()).toContain("user 'root' is not allowed to connect to the Nix daemon");
  });

  it('NIX_REMOTE=daemon with a socket nobody serves: detect says no daemon answers and how to start it', async () => {
    const rig = await startNixDaemon(nix, { dir: dir() });
    const detection = await detect({ ...rig.clientEnv, NIX_DAEMON_SOCKET_PATH: path.join(root, 'nobody-serves.socket') });
    expect(detection.mode).toBe('daemon');
    expect(detection.problems.find((entry) => entry.code === 'daemon-not-answering')).toMatchObject({ blocking: true, fix: expect.stringMatching(/Start the nix-daemon/) });
  });

  it.runIf(nixHas(nix.version, 'store-trust-query'))('a daemon that distrusts the user while the client\'s own nix.conf says nothing: the daemon\'s own answer counts', async () => {
    const d = dir();
    const rig = await startNixDaemon(nix, { dir: d, daemonConf: `${DAEMON_BASE_CONF}${DISTRUSTING}` });
    const detection = await detect(rig.clientEnv);
    expect(detection.trustedUsers).toEqual(['root']);
    expect(detection.trusted).toBe(false);
    expect(detection.problems.find((entry) => entry.code === 'user-not-trusted')?.message).toContain('The nix-daemon does not trust your user "root"');
  });
});
