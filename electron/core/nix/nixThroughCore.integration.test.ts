/**
 * The Nix wiring as the UI drives it: every step through `dispatch()` into a real core, on every
 * Nix the tests know (Debian's 2.8 and the current one, chosen through the nixBinDir setting as a
 * user would) and the real linux-test guest, in a config directory this test owns. The builder
 * starts stopped, so verify has to bring it up itself. QEMU is stopped in afterAll.
 */
import { mkdtempSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestOutput } from '../../ipc/contract.js';
import { dispatch } from '../../doors/dispatch.js';
import type { Core } from '../core.js';
import { createCore } from '../createCore.js';
import { freeLoopbackPort } from '../vm/testing/freeLoopbackPort.js';
import { CLIENT_KEY_FILE } from '../vm/keyStore.js';
import { nixVersions, type TestNix } from './testing/nixVersions.js';

describe.each(nixVersions())('$label', (nix: TestNix) => {
  let core: Core;
  let root: string;
  let stateDir: string;
  let confDir: string;
  const savedNixConfig = process.env.NIX_CONFIG;

  type Snapshot = Map<string, { bytes: Buffer; mode: number }>;
  async function snapshotDir(dir: string): Promise<Snapshot> {
    const result: Snapshot = new Map();
    for (const name of await fs.readdir(dir)) {
      const file = path.join(dir, name);
      result.set(name, { bytes: await fs.readFile(file), mode: (await fs.stat(file)).mode & 0o7777 });
    }
    return result;
  }

  async function ask<T>(name: string, input: unknown): Promise<T> {
    const reply = await dispatch(core, 'cli', name, input);
    if (!reply.ok) throw new Error(`${name} failed: ${reply.error.message} (${reply.error.code})`);
    return reply.value as T;
  }

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), `bb-nix-core-${nix.version}-`));
    // The state dir is the core's alone (it refuses a directory holding other files).
    stateDir = path.join(root, 'state');
    confDir = path.join(root, 'nixconf');
    await fs.mkdir(confDir);
    // The user's own nix.conf: odd mode, no trailing newline; remove must give back exactly this.
    await fs.writeFile(path.join(confDir, 'nix.conf'), '# mine\nkeep-outputs = true\n# no newline at the end');
    await fs.chmod(path.join(confDir, 'nix.conf'), 0o640);
    // This host is x86_64-linux too: forbid local builds, as a Mac's system mismatch would.
    process.env.NIX_CONFIG = 'max-jobs = 0';
    core = await createCore({ stateDir, platform: 'linux' });
    await core.handle('settings.set', { patch: { hostPort: await freeLoopbackPort(), cpus: 1, memoryMiB: 1024, nixBinDir: nix.binDir } }, 'cli');
  });

  afterAll(async () => {
    await core?.close({ stopBuilder: true });
    if (savedNixConfig === undefined) delete process.env.NIX_CONFIG;
    else process.env.NIX_CONFIG = savedNixConfig;
    await fs.rm(root, { recursive: true, force: true });
  });

  describe('nix.* through the core', () => {
    it('plan, apply, verify (starting the stopped builder), remove: the conf dir ends byte for byte as it began', async () => {
      const original = await snapshotDir(confDir);
      expect((await core.handle('status.get', {}, 'cli')).state).toBe('stopped');

      const detection = await ask<RequestOutput<'nix.detect'>>('nix.detect', { confDir });
      expect(detection).toMatchObject({ found: true, version: nix.version });

      const plan = await ask<RequestOutput<'nix.plan'>>('nix.plan', { confDir });
      expect(plan.problems).toEqual([]);
      expect(plan.changes).toBe(true);
      expect(plan.files.map((file) => [path.basename(file.path), file.change])).toEqual([
        ['nix.conf', 'update'], ['machines', 'create'], ['ssh_config', 'create'], ['known_hosts', 'create'], ['builder-bar_ed25519', 'create'],
      ]);
      expect(plan.files[0]!.diff).toContain(`+builders = @${path.join(confDir, 'machines')}`);
      expect(plan.environment).toEqual([`export NIX_CONF_DIR=${confDir}`, `export NIX_SSHOPTS='-F ${path.join(confDir, 'ssh_config')}'`]);
      // No line of the private key's body anywhere in what the door would send.
      const privateKey = await fs.readFile(path.join(stateDir, 'keys', CLIENT_KEY_FILE), 'utf8');
      const keyBody = privateKey.split('\n').filter((line) => line !== '' && !line.startsWith('-----'));
      expect(keyBody.length).toBeGreaterThan(2);
      const planJson = JSON.stringify(plan);
      for (const line of keyBody) expect(planJson).not.toContain(line);
      expect(await snapshotDir(confDir)).toEqual(original);

      const applied = await ask<RequestOutput<'nix.apply'>>('nix.apply', { confDir });
      expect(applied.written).toHaveLength(5);
      expect(JSON.stringify(applied)).not.toContain(keyBody[1]!);
      expect((await fs.readFile(path.join(confDir, 'builder-bar_ed25519'), 'utf8'))).toBe(privateKey);
      const again = await ask<RequestOutput<'nix.plan'>>('nix.plan', { confDir });
      expect(again.changes).toBe(false);
      const log = await core.handle('logs.tail', { source: 'app' }, 'cli');
      expect(log.lines.map((line) => line.text)).toContainEqual(expect.stringContaining(`Nix wiring applied to the config directory ${confDir}: wrote`));

      // The builder is still stopped: verify must start it and wait rather than fail.
      expect((await core.handle('status.get', {}, 'cli')).state).toBe('stopped');
      const verified = await ask<RequestOutput<'nix.verify'>>('nix.verify', { confDir });
      if (!verified.ok) throw new Error(`verify failed: ${verified.failure.message}\n${verified.failure.stderrTail.join('\n')}`);
      expect(verified.guestHostname).toBe('builder-bar');
      expect(verified.guestKernel.startsWith('Linux version')).toBe(true);
      expect(verified.hostHostname).toBe(os.hostname());
      expect((await core.handle('status.get', {}, 'cli')).state).toBe('ready');

      // Without confDir, verify uses the target that was applied (and the builder is ready now).
      const recorded = await ask<RequestOutput<'nix.verify'>>('nix.verify', {});
      expect(recorded).toMatchObject({ ok: true, guestHostname: 'builder-bar' });

      const removed = await ask<RequestOutput<'nix.remove'>>('nix.remove', {});
      expect(removed.restored).toEqual([path.join(confDir, 'nix.conf')]);
      expect(removed.deleted).toHaveLength(4);
      expect(await snapshotDir(confDir)).toEqual(original);
      const afterLog = await core.handle('logs.tail', { source: 'app' }, 'cli');
      expect(afterLog.lines.map((line) => line.text)).toContainEqual(expect.stringContaining(`Nix wiring removed: restored ${path.join(confDir, 'nix.conf')}`));
    });

    it('refuses a conf dir that is not absolute at the door, and a plan with problems as wiring-refused, writing nothing', async () => {
      expect(await dispatch(core, 'cli', 'nix.plan', { confDir: 'nixconf' })).toMatchObject({ ok: false, error: { code: 'invalid-request', message: expect.stringContaining('confDir') } });
      const broken = path.join(root, 'broken');
      await fs.mkdir(broken);
      await fs.writeFile(path.join(broken, 'nix.conf'), 'keep-outputs = true\nthis line is not a setting\n');
      const before = await snapshotDir(broken);
      const plan = await ask<RequestOutput<'nix.plan'>>('nix.plan', { confDir: broken });
      expect(plan.problems).toEqual([expect.objectContaining({ lineNumber: 2 })]);
      expect(await dispatch(core, 'cli', 'nix.apply', { confDir: broken })).toMatchObject({ ok: false, error: { code: 'wiring-refused', message: expect.stringContaining('line 2') } });
      expect(await snapshotDir(broken)).toEqual(before);
    });
  });
});
