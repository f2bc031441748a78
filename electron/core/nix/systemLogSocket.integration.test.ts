/**
 * The system target's json-log-path, end to end with a real nix-daemon (nixDaemonRig.ts): root's
 * daemon writes to the system log socket, a socket in a root-owned directory that launchd makes
 * on a Mac and the fake launchd (testing/fakeLaunchd.ts) makes here, from the very job
 * launchdLogSocket.ts plans (with Debian's nc as the relay). Each connection goes to the relay,
 * run as the user, which copies it into the core's socket: a terminal `nix-build` through the
 * daemon shows up in the core's external build feed. With the core stopped (a dead socket) and
 * with its socket gone, the same builds still succeed, a noisy one included, and nothing is
 * written in the core's place. Local builds of tiny derivations; no guest is booted.
 *
 * `root` stands for `/` as in systemTestbed.ts: the job's socket is `<root>/private/var/run/…`,
 * and the daemon's nix.conf names it there.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildView } from '../../ipc/contract.js';
import { ExternalBuildFeed } from '../builds/externalBuildFeed.js';
import { nixLogSocketPath } from '../builds/logSocket.js';
import { LogHub } from '../logs/logHub.js';
import { currentAccount, jsonLogPathLines, systemLogRelay } from './jsonLogPathWiring.js';
import { launchdLogSocketActivator } from './launchdLogSocket.js';
import { nixHas } from './nixFeatures.js';
import type { SystemLogSocketPlan } from './systemLogSocket.js';
import { fakeInstallation, fixedNix } from './testing/fakeNix.js';
import { FakeLaunchd } from './testing/fakeLaunchd.js';
import { DAEMON_BASE_CONF, startNixDaemon, stopAllNixDaemons, type NixDaemonRig } from './testing/nixDaemonRig.js';
import { nixVersions, type TestNix } from './testing/nixVersions.js';

const tinyNix = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'builds', 'testing', 'tiny.nix');

let root: string;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'bb-syslog-'));
  await fs.chmod(root, 0o755);
});

afterAll(async () => {
  await stopAllNixDaemons();
  await fs.rm(root, { recursive: true, force: true });
});

/** Up to `tries` looks, 50 ms apart: the daemon's worker and the relay end a moment after the client. */
async function eventually<T>(look: () => T | undefined, tries = 200): Promise<T | undefined> {
  for (let i = 0; i < tries; i += 1) {
    const found = look();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return look();
}

describe.each(nixVersions())('$label', (nix: TestNix) => {
  const sees = nixHas(nix.version, 'json-log-path');
  let dir: string;
  let feed: ExternalBuildFeed | null = null;
  let launchd: FakeLaunchd;
  let plan: SystemLogSocketPlan;
  let rig: NixDaemonRig;
  let systemSocket: string;

  beforeAll(async () => {
    if (!sees) return;
    dir = path.join(root, nix.version);
    // The Mac's /private/var/run: there before launchd, root's, writable by nobody else.
    await fs.mkdir(path.join(dir, 'private', 'var', 'run'), { recursive: true, mode: 0o755 });
    const stateDir = path.join(dir, 'state');
    await fs.mkdir(stateDir, { mode: 0o700 });
    feed = await ExternalBuildFeed.open({ stateDir, logs: new LogHub({ ringLines: 1000, logDir: null }), nix: fixedNix(fakeInstallation(nix.binDir, nix.version)), throttleMs: 5 });
    const wish = { socketPath: nixLogSocketPath(stateDir), nixVersion: nix.version };
    const relay = systemLogRelay(wish, launchdLogSocketActivator('linux'), currentAccount());
    if (!('plan' in relay)) throw new Error(relay.problem);
    plan = relay.plan;
    launchd = new FakeLaunchd({ root: dir });
    await launchd.bootstrap(plan.job);
    systemSocket = launchd.socketPathOf(plan.job);
    // What the system target's block says, with `dir` standing for `/` in the daemon's copy.
    expect(jsonLogPathLines(null, wish, relay)).toEqual([`json-log-path = ${plan.job.socketPath}`]);
    const daemonConf = path.join(dir, 'daemon-conf');
    await fs.mkdir(daemonConf);
    await fs.writeFile(path.join(daemonConf, 'nix.conf'), `${DAEMON_BASE_CONF}json-log-path = ${systemSocket}\n`);
    rig = await startNixDaemon(nix, { dir: path.join(dir, 'rig'), env: { NIX_CONF_DIR: daemonConf } });
  });

  afterAll(async () => {
    if (!sees) return;
    await rig?.stop();
    await launchd?.bootoutAll();
    await feed?.close();
  });

  /** A user's terminal: nix-build through the daemon, which alone reads json-log-path. */
  const terminalBuild = (attr: string) =>
    execa(path.join(nix.binDir, 'nix-build'), [tinyNix, '-A', attr, '--argstr', 'nonce', `${Date.now()}-${Math.random()}`, '--no-out-link'], {
      env: rig.clientEnv,
      extendEnv: false,
      stdin: 'ignore',
      reject: false,
      timeout: 240_000,
    });

  // Nix 2.8 has no json-log-path (it came in 2.30): its daemon sends nothing to relay.
  const title = (what: string) => (sees ? what : `${what} (skipped: ${nix.label} has no json-log-path, which came in Nix 2.30)`);
  const relaysDone = () => eventually(() => (launchd.running(plan.job.label) === 0 ? true : undefined));

  it.skipIf(!sees)(title("root's daemon writes to a socket launchd made in a root-owned directory, owned by the user, 0600"), async () => {
    const socket = await fs.lstat(systemSocket);
    expect(socket.isSocket()).toBe(true);
    expect(socket.uid).toBe(currentAccount().uid);
    expect(socket.mode & 0o777).toBe(0o600);
    const parent = await fs.lstat(path.dirname(systemSocket));
    expect(parent.uid).toBe(0);
    expect(parent.mode & 0o022).toBe(0);
    expect(plan.job.socketPath).toBe(`/private/var/run/builder-bar-nix-log-${currentAccount().uid}.sock`);
  });

  it.skipIf(!sees)(title("a terminal nix-build through the daemon shows in the core's external build feed, with its log, through the relay"), async () => {
    const result = await terminalBuild('success');
    expect(result.exitCode).toBe(0);
    const build = await eventually(() => feed!.list().find((view: BuildView) => view.source === 'external' && view.state === 'succeeded'));
    expect(build).toMatchObject({ source: 'external', state: 'succeeded' });
    expect(build!.derivations).toHaveLength(1);
    expect(build!.derivations[0]).toMatchObject({ name: 'bb-success', machine: 'local', state: 'done' });
    expect(feed!.log(build!.id, build!.derivations[0]!.drvPath)?.lines).toEqual(['building success', 'a line on stderr']);
    expect((await feed!.status()).malformed).toBe(0);
    await relaysDone();
    // Each relay ended when its Nix process closed the connection, and had reached the core.
    expect(launchd.exits(plan.job.label).every((code) => code === 0)).toBe(true);
  });

  it.skipIf(!sees)(title('with the core stopped (its dead socket in place), the same build succeeds and nothing is written in its place'), async () => {
    await feed!.close();
    feed = null;
    const before = launchd.exits(plan.job.label).length;
    const result = await terminalBuild('success');
    expect(result.exitCode).toBe(0);
    expect(result.stderr).not.toMatch(/error/);
    await relaysDone();
    // The relay could not reach the core and gave up; Nix went on.
    const exits = launchd.exits(plan.job.label).slice(before);
    expect(exits.length).toBeGreaterThan(0);
    expect(exits.every((code) => code !== 0)).toBe(true);
    expect((await fs.lstat(nixLogSocketPathOf(dir))).isSocket()).toBe(true);
  });

  it.skipIf(!sees)(title("with the core's socket gone, builds still succeed, a noisy one (20,000 lines) too, and no file appears there"), async () => {
    await fs.rm(nixLogSocketPathOf(dir));
    expect((await terminalBuild('success')).exitCode).toBe(0);
    // A reader that stopped reading would hold this build up; nothing here does.
    expect((await terminalBuild('noisy')).exitCode).toBe(0);
    await relaysDone();
    await expect(fs.lstat(nixLogSocketPathOf(dir))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await fs.lstat(systemSocket)).isSocket()).toBe(true);
  });
});

function nixLogSocketPathOf(versionDir: string): string {
  return nixLogSocketPath(path.join(versionDir, 'state'));
}
