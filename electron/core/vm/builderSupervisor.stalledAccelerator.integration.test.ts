/**
 * An accelerator that passes its probe and then stalls the real guest (kvm on this project's CI
 * machines once ran the probe guest and then hung the builder's kernel): the supervisor ends that
 * QEMU after `acceleratedReadyMs` and starts the builder again under TCG, which it keeps for the
 * rest of the core's run, saying why. The stall is made deterministic: under "kvm" the linux-test
 * guest's QEMU runs with -S (created, never run: what a stalled accelerator looks like from
 * outside), under tcg as always. Real QEMU, real guest, real ssh.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Status } from '../../ipc/contract.js';
import { statePaths } from '../paths.js';
import { defaultSettings } from '../settings/defaults.js';
import { BuilderSupervisor } from './builderSupervisor.js';
import type { BuilderProfile } from './profile.js';
import { linuxTestProfile } from './profiles/linuxTest.js';
import { isProcessAlive } from './qemuProcess.js';

// Made in beforeAll, not when the file loads: with every test here filtered out or skipped, no afterAll runs.
let root = '';
const pids = new Set<number>();
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-stall-'));
});
afterAll(() => {
  for (const pid of pids) if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
  if (root) rmSync(root, { recursive: true, force: true });
});

const stallingUnderKvm: BuilderProfile = {
  ...linuxTestProfile,
  launchPlan: (input) => {
    const plan = linuxTestProfile.launchPlan({ ...input, accelerator: 'tcg' });
    if (input.accelerator === 'tcg') return plan;
    return { ...plan, env: { ...plan.env, QEMU_OPTS: `${plan.env.QEMU_OPTS ?? ''} -S` } };
  },
};

describe('an accelerator that passed its probe but stalls the builder', () => {
  it('is given up after the watchdog: the builder starts again under TCG and is ready, saying why', async () => {
    const logged: string[] = [];
    const supervisor = new BuilderSupervisor({
      paths: statePaths({ stateDir: path.join(root, 'state') }),
      getSettings: () => ({ ...defaultSettings('linux'), hostPortAuto: true, memoryMiB: 1024 }),
      logs: { append: (_source, level, text) => logged.push(`${level} ${text}`) },
      resolveProfile: () => stallingUnderKvm,
      chooseAccelerator: async () => ({ name: 'kvm', reason: 'kvm probe succeeded' }),
      timing: { acceleratedReadyMs: 20_000, gracefulStopMs: 20_000 },
    });
    const accelerators: string[] = [];
    supervisor.onStatus((status: Status) => {
      if (status.pid !== null) pids.add(status.pid);
      if (status.accelerator && accelerators.at(-1) !== status.accelerator.name) accelerators.push(status.accelerator.name);
    });
    try {
      const ready = await supervisor.start({ wait: true, timeoutMs: 400_000 });
      expect(ready.state).toBe('ready');
      expect(ready.accelerator).toEqual({ name: 'tcg', reason: 'kvm passed its probe, but the builder did not answer within 20 s under it; using TCG (slow)' });
      expect(accelerators).toEqual(['kvm', 'tcg']);
      expect(logged).toContainEqual('warn kvm passed its probe, but the builder did not answer within 20 s under it: ending it and starting again under TCG.');
      expect(pids.size).toBe(2);
      const [stalled] = [...pids];
      expect(isProcessAlive(stalled!)).toBe(false);
    } finally {
      await supervisor.close({ stopBuilder: true });
    }
  }, 600_000);
});
