/**
 * A QEMU that dies at once on every start (the crash loops users saw after QEMU upgrades):
 * the supervisor restarts it with backoff, then gives up visibly, quoting QEMU's own error.
 * Real QEMU, no guest: it fails loading a kernel that does not exist.
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
import { freeLoopbackPort } from './testing/freeLoopbackPort.js';

// Made in beforeAll, not when the file loads: with every test here filtered out or skipped, no afterAll runs.
let root = '';
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-crash-'));
});
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

const crashingProfile: BuilderProfile = {
  ...linuxTestProfile,
  prepare: async () => ({ kernel: path.join(root, 'no-such-vmlinuz'), initrd: null, extra: {} }),
  launchPlan: (input) => ({
    command: input.qemuBinary,
    args: [
      '-machine', `q35,accel=${input.accelerator}`,
      '-nodefaults', '-display', 'none',
      '-kernel', input.prepared.kernel ?? '',
      '-qmp', `unix:${input.files.qmpSocket},server=on,wait=off`,
    ],
    env: {},
    cwd: input.files.vmDir,
  }),
};

describe('a QEMU that crashes on every start', () => {
  it('is restarted with growing delays, then the supervisor gives up with a visible error', async () => {
    const settings = {
      ...defaultSettings('linux'),
      hostPort: await freeLoopbackPort(),
      restartPolicy: { enabled: true, maxPerMinute: 6, giveUpAfter: 2 },
    };
    const supervisor = new BuilderSupervisor({
      paths: statePaths({ stateDir: root }),
      getSettings: () => settings,
      logs: { append: () => undefined },
      resolveProfile: () => crashingProfile,
      chooseAccelerator: async () => ({ name: 'tcg', reason: 'test' }),
      timing: { backoff: { baseMs: 300, capMs: 5_000, windowMs: 60_000 } },
    });
    const delays: number[] = [];
    let lastNextAt: number | null = null;
    const pids = new Set<number>();
    const gaveUp = new Promise<Status>((resolve) => {
      supervisor.onStatus((status) => {
        if (status.pid !== null) pids.add(status.pid);
        // One delay per scheduled restart: the status may be sent more than once while one waits.
        if (status.restart.nextAt !== null && status.error && status.restart.nextAt !== lastNextAt) {
          lastNextAt = status.restart.nextAt;
          delays.push(status.restart.nextAt - status.error.at);
        }
        if (status.restart.gaveUp) resolve(status);
      });
    });
    await supervisor.start({});
    const final = await gaveUp;

    expect(pids.size).toBe(3); // the user's start and two automatic restarts
    expect(delays).toHaveLength(2);
    expect(delays[1]).toBeGreaterThan(delays[0] ?? Infinity);
    expect(final.state).toBe('error');
    expect(final.restart).toEqual({ attempts: 2, nextAt: null, gaveUp: true });
    expect(final.error?.message).toMatch(/Gave up restarting the builder after 2 automatic restarts in a row failed\. Last failure: QEMU exited with code 1 unexpectedly: .*no-such-vmlinuz/);
    expect(final.error?.hint).toMatch(/start the builder again/);
    expect(final.error?.consoleTail.some((line) => line.startsWith('qemu: ') && line.includes('no-such-vmlinuz'))).toBe(true);

    // Nothing more happens after giving up; a start by the user tries again from a clean slate.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(supervisor.status().restart.gaveUp).toBe(true);
    await supervisor.start({});
    expect(supervisor.status().restart).toEqual({ attempts: 0, nextAt: null, gaveUp: false });
    await supervisor.stop({ force: true });
    expect(supervisor.status().state).toBe('stopped');
    await supervisor.close({ stopBuilder: true });
  });
});
