/**
 * The on-demand builder end to end, on the real linux-test guest, with every Nix the tests have
 * (Debian's and the current one). The ProxyCommand runs this machine's node and the built CLI
 * (`npm run build:node`); the current Nix runs ssh inside a root of its own, whose wrapper binds
 * this node at its own path, as a Mac's root nix-daemon sees the user's. A core with "on demand" on and its
 * CLI socket open; the wiring applied to a config directory through the core; then terminal
 * `nix-build --max-jobs 0` runs with the builder stopped. Nix's ssh runs `builder-bar proxy`,
 * which starts the builder through the core and carries the bytes.
 *
 * Idle stop is the setting's minimum, 1 minute, so the file waits about two minutes for it.
 * QEMU is stopped in afterAll.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoreEvent, RequestOutput, Status } from '../../ipc/contract.js';
import { dispatch } from '../../doors/dispatch.js';
import { SocketDoor } from '../../doors/socket/socketDoor.js';
import type { Core } from '../core.js';
import { createCore } from '../createCore.js';
import { freeLoopbackPort } from '../vm/testing/freeLoopbackPort.js';
import { hostPathOf, nixVersions, type TestNix } from './testing/nixVersions.js';

for (const nix of nixVersions()) describeOnDemand(nix);

function describeOnDemand(nix: TestNix): void {
  describe(`on demand through the wiring (${nix.label})`, () => {
    let core: Core;
    let door: SocketDoor;
    let root: string;
    let confDir: string;
    const states: Status['state'][] = [];
    const statusListeners = new Set<(status: Status) => void>();

    async function ask<T>(name: string, input: unknown): Promise<T> {
      const reply = await dispatch(core, 'cli', name, input);
      if (!reply.ok) throw new Error(`${name} failed: ${reply.error.message} (${reply.error.code})`);
      return reply.value as T;
    }

    /** Resolves with the first status (from now on) that `test` accepts. */
    function nextStatus(test: (status: Status) => boolean): Promise<Status> {
      return new Promise((resolve) => {
        const listener = (status: Status): void => {
          if (!test(status)) return;
          statusListeners.delete(listener);
          resolve(status);
        };
        statusListeners.add(listener);
      });
    }

    /** A derivation only the builder may build, whose output names the machine it ran on. */
    function nixBuild(extraScript = ''): ResultPromise<{ reject: false; stdin: 'ignore'; timeout: number; env: NodeJS.ProcessEnv }> {
      const nonce = randomBytes(8).toString('hex');
      const file = path.join(root, `on-demand-${nonce}.nix`);
      // No quotes and no "${" in the script: it sits in a Nix string as it is.
      const script = `read h < /proc/sys/kernel/hostname; echo ${nonce} > $out; echo $h >> $out${extraScript}`;
      writeFileSync(file, `builtins.derivation { name = "on-demand-${nonce}"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "${script}" ]; }\n`);
      return execa(path.join(nix.binDir, 'nix-build'), [file, '--max-jobs', '0', '--no-out-link', '--option', 'substituters', ''], {
        env: { NIX_CONF_DIR: confDir, NIX_SSHOPTS: `-F ${path.join(confDir, 'ssh_config')}`, NIX_USER_CONF_FILES: path.join(root, 'no-user-conf'), PATH: process.env.PATH },
        reject: false,
        stdin: 'ignore',
        timeout: 300_000,
      });
    }

    async function builtOn(result: { exitCode?: number; stdout: unknown; stderr: unknown }): Promise<string> {
      if (result.exitCode !== 0) throw new Error(`nix-build failed (${String(result.exitCode)}):\n${String(result.stderr)}`);
      const outPath = String(result.stdout).trim().split('\n').pop() ?? '';
      return (await fs.readFile(hostPathOf(nix, outPath), 'utf8')).split('\n')[1] ?? '';
    }

    beforeAll(async () => {
      root = mkdtempSync(path.join(os.tmpdir(), 'bb-on-demand-'));
      confDir = path.join(root, 'nixconf');
      await fs.mkdir(confDir);
      core = await createCore({ stateDir: path.join(root, 'state'), platform: 'linux' });
      core.subscribe((event: CoreEvent) => {
        if (event.name !== 'status') return;
        if (states.at(-1) !== event.payload.state) states.push(event.payload.state);
        for (const listener of [...statusListeners]) listener(event.payload);
      });
      door = await SocketDoor.open({ core, socketPath: core.paths.socketPath });
      await ask('settings.set', { patch: { hostPort: await freeLoopbackPort(), cpus: 1, memoryMiB: 1024, nixBinDir: nix.binDir, onDemand: true, idleStopMinutes: 1 } });
      await ask('nix.apply', { confDir });
    }, 120_000);

    afterAll(async () => {
      await door?.close();
      await core?.close({ stopBuilder: true });
      await fs.rm(root, { recursive: true, force: true });
    });

    it('writes the ProxyCommand of the built CLI into the alias', async () => {
      const sshConfig = await fs.readFile(path.join(confDir, 'ssh_config'), 'utf8');
      expect(sshConfig).toMatch(new RegExp(`ProxyCommand '${process.execPath}' '[^']*/out/electron/cli/bin\\.js' '--state-dir=${core.paths.stateDir}' 'proxy'`));
    });

    it('two terminal builds with the builder stopped start one builder and both succeed', async () => {
      expect((await core.handle('status.get', {}, 'cli')).state).toBe('stopped');
      states.length = 0;
      const [first, second] = await Promise.all([nixBuild(), nixBuild()]);
      expect(await builtOn(first)).toBe('builder-bar');
      expect(await builtOn(second)).toBe('builder-bar');
      // One start: stopped -> starting -> ready, never a second boot.
      expect(states.filter((state) => state === 'starting')).toHaveLength(1);
      // Nix's ssh may outlive nix-build by a moment (a current Nix's ssh-ng master connection
      // closes after its client): the count goes to 0 once it has.
      const closed = nextStatus((candidate) => candidate.onDemand?.connections === 0);
      const now = await core.handle('status.get', {}, 'cli');
      const status = now.onDemand?.connections === 0 ? now : await closed;
      expect(status.state).toBe('ready');
      expect(status.onDemand).toMatchObject({ connections: 0 });
      expect(status.onDemand?.idleStopsAt).toBeGreaterThan(Date.now());
    }, 600_000);

    it('a proxy that dies mid-build fails that build as Nix says; the builder stays ready and the next build succeeds', async () => {
      const held = nextStatus((status) => (status.onDemand?.connections ?? 0) > 0);
      const build = nixBuild('; sleep 60');
      await held;
      // The proxy is a grandchild of this nix-build: found by parentage, ended by its pid.
      const proxyPid = await descendantRunning(build.pid!, 'proxy');
      process.kill(proxyPid, 'SIGKILL');
      const result = await build;
      expect(result.exitCode).not.toBe(0);
      expect((await core.handle('status.get', {}, 'cli')).state).toBe('ready');
      expect(await builtOn(await nixBuild())).toBe('builder-bar');
    }, 600_000);

    it('stops when idle, and a build that arrives while it stops waits and succeeds', async () => {
      const stopping = nextStatus((status) => status.state === 'stopping');
      // The hold is taken in the same turn the stop is seen, so it surely arrives during the stop.
      const lease = stopping.then(() => core.holdBuilder());
      await stopping;
      const build = nixBuild();
      const { sshPort } = await lease;
      expect(sshPort).toBeGreaterThan(0);
      expect(await builtOn(await build)).toBe('builder-bar');
      const log = await core.handle('logs.tail', { source: 'app' }, 'cli');
      expect(log.lines.map((line) => line.text)).toContainEqual(expect.stringContaining('no build and no ssh session for 1 min: stopping it'));

      // Released: the next idle stop gives QEMU's memory back (no process left).
      const pid = (await core.handle('status.get', {}, 'cli')).pid!;
      const stopped = nextStatus((status) => status.state === 'stopped');
      (await lease).release();
      await stopped;
      expect(await alive(pid)).toBe(false);
    }, 600_000);
  });
}

async function alive(pid: number): Promise<boolean> {
  return fs.access(`/proc/${pid}`).then(() => true, () => false);
}

/** The pid of a descendant of `pid` whose command line has the word `word`, waiting until one runs. */
async function descendantRunning(pid: number, word: string): Promise<number> {
  for (;;) {
    const found = await findDescendant(pid, word);
    if (found !== null) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function findDescendant(pid: number, word: string): Promise<number | null> {
  const children = await fs.readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  for (const child of children.split(/\s+/).filter(Boolean).map(Number)) {
    const cmdline = await fs.readFile(`/proc/${child}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.split('\0').includes(word)) return child;
    const deeper = await findDescendant(child, word);
    if (deeper !== null) return deeper;
  }
  return null;
}
