/**
 * Verify through a real nix-daemon (testing/nixDaemonRig.ts) on every Nix version, routed to the
 * real linux-test guest (booted once for the file), for the two failures Nix never names:
 *
 * - daemon not restarted: the daemon reads the conf dir the wiring is applied to (as root's
 *   daemon reads /etc/nix on a Mac) but started before the apply; after `restart()` (what
 *   `launchctl kickstart -k` does) verify passes;
 * - user not trusted: the client reads a conf-dir wiring and passes its builders to a daemon
 *   whose trusted-users leaves root out (everything runs as root here; the daemon matches root
 *   against trusted-users like anyone); the same client against a daemon that trusts it builds
 *   in the guest, so trust is the only difference.
 */
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bootTestBuilder, type TestBuilder } from '../builds/testing/testBuilder.js';
import { applyWiring } from './applyWiring.js';
import { classifyBuildFailure } from './classifyBuildFailure.js';
import { wiringInputsFromState, type WiringInputs } from './builderFromState.js';
import { detectNix, realDetectDeps } from './detectNix.js';
import { environmentNix } from './nixInstallation.js';
import { planWiring } from './planWiring.js';
import { DAEMON_BASE_CONF, startNixDaemon, stopAllNixDaemons } from './testing/nixDaemonRig.js';
import { nixVersions, type TestNix } from './testing/nixVersions.js';
import { GUEST_HOSTNAME, verifyWiring } from './verifyWiring.js';
import { readWiringRecord } from './wiringRecord.js';
import type { TargetLayout } from './wiringTarget.js';

let root: string;
let builder: TestBuilder | undefined;
let inputs: WiringInputs;

/** Applies the real wiring (a conf-dir target) to a fresh conf dir holding the base nix.conf. */
async function wiredConfDir(name: string): Promise<TargetLayout> {
  const stateDir = path.join(root, `state-${name}`);
  const confDir = path.join(root, `conf-${name}`);
  await fs.mkdir(stateDir, { recursive: true });
  await fs.mkdir(confDir, { recursive: true });
  await fs.writeFile(path.join(confDir, 'nix.conf'), DAEMON_BASE_CONF);
  const plan = await planWiring({ target: { kind: 'confDir', dir: confDir }, builder: inputs.builder, clientPrivateKey: inputs.clientPrivateKey, record: await readWiringRecord(stateDir) });
  expect(plan.problems).toEqual([]);
  await applyWiring(plan, stateDir);
  return plan.layout;
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-daemon-verify-'));
  builder = await bootTestBuilder(root);
  inputs = await wiringInputsFromState(builder.paths, 'linux');
  // Right after "ready" the guest's sshd (dropbear, then) once closed a new connection during key
  // exchange under this machine's load; wait until ssh with a wiring's own config gets in.
  const layout = await wiredConfDir('warmup');
  for (let attempt = 1; ; attempt += 1) {
    const ssh = await execa('ssh', ['-F', layout.sshConfig, '-o', 'BatchMode=yes', inputs.builder.alias, 'true'], { stdin: 'ignore', reject: false, timeout: 60_000 });
    if (ssh.exitCode === 0) break;
    if (attempt === 5) throw new Error(`ssh to the guest with the wiring's config failed 5 times:\n${ssh.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
});

afterEach(async () => {
  await stopAllNixDaemons();
});

afterAll(async () => {
  await stopAllNixDaemons();
  await builder?.shutdown();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.each(nixVersions())('verify through a nix-daemon of $label', (nix: TestNix) => {
  const nixBuild = path.join(nix.binDir, 'nix-build');
  const detect = async (env: Record<string, string>) =>
    detectNix({ ...realDetectDeps(), user: 'root', groups: async () => ['root'] }, { env, nix: await environmentNix({ ...process.env, BUILDER_BAR_NIX_BIN_DIR: nix.binDir }).resolve() });

  it('a daemon started before the apply: "daemon not restarted" with the restart command; after a restart the build runs in the guest', async () => {
    const name = `restart-${nix.version}`;
    const confDir = path.join(root, `conf-${name}`);
    await fs.mkdir(confDir, { recursive: true });
    await fs.writeFile(path.join(confDir, 'nix.conf'), DAEMON_BASE_CONF);
    // The daemon reads the wiring's nix.conf (and gets its NIX_SSHOPTS) from before the wiring
    // exists. Through an include from a conf dir of its own: as on a Mac, where the wiring's
    // machines file (/etc/nix/builder-bar-machines) is not the one a daemon reads by default
    // (/etc/nix/machines); a conf-dir wiring writes the default one, which Nix rereads on
    // every build, restart or not.
    const daemonConfDir = path.join(root, `daemon-conf-${name}`);
    await fs.mkdir(daemonConfDir, { recursive: true });
    await fs.writeFile(path.join(daemonConfDir, 'nix.conf'), `include ${path.join(confDir, 'nix.conf')}\n`);
    const rig = await startNixDaemon(nix, { dir: path.join(root, `rig-${name}`), env: { NIX_CONF_DIR: daemonConfDir, NIX_SSHOPTS: `-F ${path.join(confDir, 'ssh_config')}` } });
    const layout = await wiredConfDir(name);
    expect(layout.nixConf).toBe(path.join(confDir, 'nix.conf'));
    const detection = await detect(rig.clientEnv);
    expect(detection.mode).toBe('daemon');
    const verify = () =>
      verifyWiring({ layout, env: rig.clientEnv, daemonReadsWiring: true, nixBuild, nixVersion: nix.version, system: 'x86_64-linux', workDir: path.join(root, 'work'), trusted: detection.trusted, expectedHostname: GUEST_HOSTNAME, platform: 'linux', timeoutMs: 180_000 });

    const stale = await verify();
    if (stale.ok) throw new Error(`verify passed against a daemon that never read the wiring: ${stale.message}`);
    expect(stale.failure.cause).toBe('daemon-not-restarted');
    expect(stale.failure.message).toMatch(/^Daemon not restarted: /);
    expect(stale.failure.fix).toContain('sudo systemctl restart nix-daemon.service');
    // The same Nix output, as a Mac user reads it.
    expect(classifyBuildFailure(stale.failure.stderrTail.join('\n'), { trusted: detection.trusted, systemTarget: true, platform: 'darwin' }).fix).toContain('sudo launchctl kickstart -k system/org.nixos.nix-daemon');

    await rig.restart();
    const fresh = await verify();
    if (!fresh.ok) throw new Error(`verify after the restart failed: ${fresh.failure.message}\n${fresh.failure.stderrTail.join('\n')}\n--- daemon:\n${rig.output()}`);
    expect(fresh.guestHostname).toBe(GUEST_HOSTNAME);
  });

  it('a conf-dir wiring\'s builders passed to a daemon that does not trust the user: "user not trusted"; the same to a daemon that trusts it: built in the guest', async () => {
    const name = `trust-${nix.version}`;
    const layout = await wiredConfDir(name);
    // The daemons' ssh may use the wiring's ssh_config, so trust is the one thing that differs.
    const daemonEnv = { NIX_SSHOPTS: layout.env.NIX_SSHOPTS! };
    const distrusting = await startNixDaemon(nix, { dir: path.join(root, `rig-${name}-no`), env: daemonEnv, daemonConf: `${DAEMON_BASE_CONF}trusted-users = somebody-else\n` });
    const trusting = await startNixDaemon(nix, { dir: path.join(root, `rig-${name}-yes`), env: daemonEnv });
    const verifyWith = async (clientEnv: Record<string, string>) => {
      // The client reads the conf-dir wiring; the daemon never sees that nix.conf.
      const env = { ...clientEnv, NIX_CONF_DIR: path.dirname(layout.nixConf) };
      const detection = await detect(env);
      expect(detection.mode).toBe('daemon');
      return verifyWiring({ layout, env, nixBuild, nixVersion: nix.version, system: 'x86_64-linux', workDir: path.join(root, 'work'), trusted: detection.trusted, expectedHostname: GUEST_HOSTNAME, platform: 'linux', timeoutMs: 180_000 });
    };

    const refused = await verifyWith(distrusting.clientEnv);
    if (refused.ok) throw new Error(`verify passed through a daemon that does not trust the user: ${refused.message}`);
    expect(refused.failure.cause).toBe('user-not-trusted');
    expect(refused.failure.message).toMatch(/^User not trusted: /);
    expect(refused.failure.fix).toContain('system target');
    expect(refused.failure.fix).toContain('sudo systemctl restart nix-daemon.service');

    const routed = await verifyWith(trusting.clientEnv);
    if (!routed.ok) throw new Error(`verify through a trusting daemon failed: ${routed.failure.message}\n${routed.failure.stderrTail.join('\n')}\n--- daemon:\n${trusting.output()}`);
    expect(routed.guestHostname).toBe(GUEST_HOSTNAME);
  });
});
