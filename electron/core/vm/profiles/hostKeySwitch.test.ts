import { describe, expect, it } from 'vitest';
import type { HostKeySwitchProgress, Status, VmState } from '../../../ipc/contract.js';
import { initialStatus } from '../../../ipc/initialStatus.js';
import { BuilderBarError } from '../../errors.js';
import type { WiringTarget } from '../../nix/wiringTarget.js';
import type { BuilderImage } from './builderImage.js';
import { ADMIN_RE_PIN_STEP, HostKeySwitch, type HostKeySwitchDeps } from './hostKeySwitch.js';

const IMAGE: BuilderImage = { storePath: '/nix/store/abc-nixos-vm', realised: true } as BuilderImage;

function readyStatus(weakness: string | null): Status {
  return {
    ...initialStatus('darwin-linux-builder', 0),
    state: 'ready',
    hostKey: { fingerprint: 'SHA256:own', publicKey: 'ssh-ed25519 AAAA', weakness },
  };
}

/** A world of fakes that records every step, in order. */
function world(options: { target?: WiringTarget | null; busy?: number[]; state?: VmState; afterRestart?: Status } = {}) {
  const steps: string[] = [];
  const stages: HostKeySwitchProgress['stage'][] = [];
  const busy = [...(options.busy ?? [])];
  const deps: HostKeySwitchDeps = {
    builderState: () => options.state ?? 'ready',
    buildsOnBuilder: () => busy.shift() ?? 0,
    restartAndWait: async () => {
      steps.push('restart');
      return options.afterRestart ?? readyStatus(null);
    },
    recordedTarget: async () => (options.target === undefined ? { kind: 'confDir', dir: '/tmp/conf' } : options.target),
    reapply: async (dir) => {
      steps.push(`reapply ${dir}`);
      return { summary: 'Wrote 1 file(s).' };
    },
    report: (message) => steps.push(`report ${message}`),
    pause: async () => {
      steps.push('pause');
    },
    now: () => 42,
  };
  const hostKeySwitch = new HostKeySwitch(deps);
  hostKeySwitch.onProgress((progress) => {
    if (progress) stages.push(progress.stage);
  });
  const build = async (): Promise<BuilderImage> => {
    steps.push('build');
    return IMAGE;
  };
  return { hostKeySwitch, steps, stages, build };
}

describe('switching the Mac builder to its own host key', () => {
  it('builds, waits for the builds on the builder, restarts, then applies the recorded config dir again', async () => {
    const { hostKeySwitch, steps, stages, build } = world({ busy: [2, 1] });
    const result = await hostKeySwitch.run(build);
    expect(result).toEqual({ storePath: IMAGE.storePath, realised: true, switched: true, rePin: 'applied', next: null });
    expect(steps.filter((step) => !step.startsWith('report'))).toEqual(['build', 'pause', 'pause', 'restart', 'reapply /tmp/conf']);
    expect(stages).toEqual(['building', 'waiting-for-builds', 'waiting-for-builds', 'restarting', 're-pinning', 'done']);
    expect(hostKeySwitch.progress()).toEqual({ stage: 'done', message: expect.stringContaining('/tmp/conf'), since: 42 });
    expect(steps).toContain('report Waiting until nothing uses the builder (2 builds or ssh sessions now) before restarting it.');
  });

  it('never restarts under a running build', async () => {
    const { hostKeySwitch, steps, build } = world({ busy: [1, 1, 1] });
    await hostKeySwitch.run(build);
    const restartAt = steps.indexOf('restart');
    expect(steps.slice(0, restartAt).filter((step) => step === 'pause')).toHaveLength(3);
  });

  it('asks for the admin step when the wiring is the system\'s, and writes nothing itself', async () => {
    const { hostKeySwitch, steps, build } = world({ target: { kind: 'system', determinate: false } });
    const result = await hostKeySwitch.run(build);
    expect(result).toMatchObject({ switched: true, rePin: 'needs-admin', next: ADMIN_RE_PIN_STEP });
    expect(steps.some((step) => step.startsWith('reapply'))).toBe(false);
    expect(hostKeySwitch.progress()?.stage).toBe('needs-admin');
  });

  it('says how to pin the key when Nix is not wired at all', async () => {
    const { hostKeySwitch, build } = world({ target: null });
    expect(await hostKeySwitch.run(build)).toMatchObject({ switched: true, rePin: 'no-wiring', next: expect.stringContaining('Apply') });
  });

  it('leaves a builder the user stopped meanwhile stopped, and says what its next start does', async () => {
    const { hostKeySwitch, steps, build } = world({ state: 'stopped' });
    const result = await hostKeySwitch.run(build);
    expect(result).toMatchObject({ switched: false, rePin: 'not-started', next: expect.stringContaining('next time') });
    expect(steps).not.toContain('restart');
  });

  it('fails visibly, and re-pins nothing, when the builder does not come back or comes back on the published key', async () => {
    const failed = { ...readyStatus(null), state: 'error' as const, error: { message: 'QEMU exited', hint: 'see the console', exitCode: 1, signal: null, consoleTail: [], at: 0 } };
    for (const afterRestart of [failed, readyStatus('nixpkgs publishes it')]) {
      const { hostKeySwitch, steps, build } = world({ afterRestart });
      const error = await hostKeySwitch.run(build).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BuilderBarError);
      expect(steps.some((step) => step.startsWith('reapply'))).toBe(false);
      expect(hostKeySwitch.progress()?.stage).toBe('failed');
    }
  });

  it('a failed build of the image stops the switch before any restart', async () => {
    const { hostKeySwitch, steps } = world();
    const error = await hostKeySwitch.run(async () => {
      throw new BuilderBarError('vm-failed', 'Nix found no Linux machine', 'apply the wiring');
    }).catch((caught: unknown) => caught);
    expect((error as Error).message).toBe('Nix found no Linux machine');
    expect(steps).not.toContain('restart');
    expect(hostKeySwitch.progress()).toMatchObject({ stage: 'failed', message: 'Nix found no Linux machine' });
  });

  it('a second request while one runs joins it: one build, one restart', async () => {
    const { hostKeySwitch, steps, build } = world();
    const [first, second] = await Promise.all([hostKeySwitch.run(build), hostKeySwitch.run(build)]);
    expect(second).toBe(first);
    expect(steps.filter((step) => step === 'build')).toHaveLength(1);
    expect(steps.filter((step) => step === 'restart')).toHaveLength(1);
  });
});
