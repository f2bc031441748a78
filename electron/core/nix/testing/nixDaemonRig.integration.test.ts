/**
 * The nix-daemon rig (nixDaemonRig.ts) on every Nix version: a client that knows no builder and
 * has no ssh settings builds through the daemon, and the daemon routes the build to the real
 * linux-test guest with the wiring `nix apply --conf-dir` wrote (it alone reads the machines
 * entry, ssh config, known hosts and key). `stop()` leaves no process behind, also with a build
 * running. The guest boots once for the file.
 */
import { existsSync, mkdtempSync, promises as fs, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootTestBuilder, type TestBuilder } from '../../builds/testing/testBuilder.js';
import { applyWiring } from '../applyWiring.js';
import { wiringInputsFromState } from '../builderFromState.js';
import { planWiring } from '../planWiring.js';
import { readWiringRecord } from '../wiringRecord.js';
import type { TargetLayout } from '../wiringTarget.js';
import { DAEMON_BASE_CONF, startNixDaemon, stopAllNixDaemons } from './nixDaemonRig.js';
import { hostPathOf, nixVersions, type TestNix } from './nixVersions.js';

let root: string;
let builder: TestBuilder | undefined;
let layout: TargetLayout;

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-daemon-rig-'));
  builder = await bootTestBuilder(root);
  const inputs = await wiringInputsFromState(builder.paths, 'linux');
  const confDir = path.join(root, 'daemon-conf');
  await fs.mkdir(confDir);
  // The "system" nix.conf the daemon reads before Builder Bar wires it: offline, no build users.
  await fs.writeFile(path.join(confDir, 'nix.conf'), DAEMON_BASE_CONF);
  const plan = await planWiring({ target: { kind: 'confDir', dir: confDir }, builder: inputs.builder, clientPrivateKey: inputs.clientPrivateKey, record: await readWiringRecord(root) });
  expect(plan.problems).toEqual([]);
  await applyWiring(plan, root);
  layout = plan.layout;
  // Right after "ready" the guest's sshd (dropbear, then) once closed a new connection during key
  // exchange under this machine's load; wait until ssh with the wiring's own config gets in.
  for (let attempt = 1; ; attempt += 1) {
    const ssh = await execa('ssh', ['-F', layout.sshConfig, '-o', 'BatchMode=yes', inputs.builder.alias, 'true'], { stdin: 'ignore', reject: false, timeout: 60_000 });
    if (ssh.exitCode === 0) break;
    if (attempt === 5) throw new Error(`ssh to the guest with the wiring's config failed 5 times:\n${ssh.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
});

afterAll(async () => {
  await stopAllNixDaemons();
  await builder?.shutdown();
  if (root) rmSync(root, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

const probeNix = (nonce: string) => `derivation {
  name = "rig-probe-${nonce}";
  system = "x86_64-linux";
  builder = "/bin/sh";
  args = [ "-c" "read h < /proc/sys/kernel/hostname; echo \\$h > \\$out" ];
}
`;

const sleepingNix = (nonce: string, pidFile: string) => `derivation {
  name = "rig-sleeping-${nonce}";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  preferLocalBuild = true;
  args = [ "-c" "echo \\$\\$ > ${pidFile}; exec /bin/sleep 600" ];
}
`;

describe.each(nixVersions())('$label', (nix: TestNix) => {
  const bin = (name: string) => path.join(nix.binDir, name);

  it('a client without builders or ssh settings builds through the daemon, which routes the build to the guest', async () => {
    const dir = path.join(root, `rig-${nix.version}`);
    const rig = await startNixDaemon(nix, { dir, env: layout.env });
    try {
      expect(rig.daemonEnv.NIX_SSHOPTS).toBe(layout.env.NIX_SSHOPTS);
      expect(rig.clientEnv.NIX_SSHOPTS).toBeUndefined();
      expect(readFileSync(path.join(rig.clientEnv.NIX_CONF_DIR!, 'nix.conf'), 'utf8')).not.toContain('builders');
      const nonce = randomBytes(6).toString('hex');
      const file = path.join(dir, 'probe.nix');
      await fs.writeFile(file, probeNix(nonce));
      // --max-jobs 0: the daemon may not build it itself; only its builder can.
      const built = await execa(bin('nix-build'), [file, '--no-out-link', '--max-jobs', '0'], { env: rig.clientEnv, extendEnv: false, stdin: 'ignore', reject: false });
      if (built.exitCode !== 0) throw new Error(`nix-build through the daemon failed:\n${built.stderr}\n--- daemon:\n${rig.output()}`);
      const out = built.stdout.trim();
      expect(readFileSync(hostPathOf(nix, out), 'utf8').trim()).toBe('builder-bar');
      expect(rig.output()).toContain('accepted connection');

      // The same through --store unix://socket instead of NIX_REMOTE.
      const { NIX_REMOTE: _unused, ...withoutRemote } = rig.clientEnv;
      const queried = await execa(bin('nix-store'), [...rig.storeArgs, '--query', '--hash', out], { env: withoutRemote, extendEnv: false, stdin: 'ignore' });
      expect(queried.stdout.trim()).toMatch(/^sha256:/);
    } finally {
      await rig.stop();
    }
  });

  it('stop() ends the daemon, its workers and a build they run; restart() serves again', async () => {
    const dir = path.join(root, `rig-stop-${nix.version}`);
    const rig = await startNixDaemon(nix, { dir });
    const pidFile = path.join(dir, 'builder.pid');
    const file = path.join(dir, 'sleeping.nix');
    await fs.writeFile(file, sleepingNix(randomBytes(6).toString('hex'), pidFile));
    await rig.restart();
    const build = execa(bin('nix-build'), [file, '--no-out-link'], { env: rig.clientEnv, extendEnv: false, stdin: 'ignore', reject: false });
    try {
      const started = Date.now();
      while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8').trim() === '') {
        if (Date.now() - started > 120_000) throw new Error(`the build did not start:\n${rig.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const sleeper = Number(readFileSync(pidFile, 'utf8').trim());
      const daemonFamily = rig.processes();
      expect(daemonFamily).toContain(sleeper);
      await rig.stop();
      expect(alive(sleeper)).toBe(false);
      expect(daemonFamily.filter(alive)).toEqual([]);
      expect(rig.processes()).toEqual([]);
      // Nobody answers on the socket any more.
      const after = await execa(bin('nix-store'), ['--query', '--roots', '/nix/store'], { env: rig.clientEnv, extendEnv: false, stdin: 'ignore', reject: false });
      expect(after.exitCode).not.toBe(0);
    } finally {
      build.kill('SIGKILL');
      await build;
      await rig.stop();
    }
  });
});
