/**
 * The whole of "Make its own host key", after which nothing is left for the user to do by hand
 * (unless Nix's configuration is the system's, which only an administrator may write):
 *
 *   building   the own-host-key image, on the stock builder itself, through Nix's wiring;
 *   waiting    until no build or ssh session uses the builder: restarting it would fail them;
 *   restarting into the own image (the start's host key policy picks it once it exists), and
 *              checking that the builder came back presenting this install's key;
 *   re-pinning the recorded wiring target again, so Nix pins the new key: a config directory is
 *              the user's own and is applied at once; /etc (the system target) needs the admin
 *              step, so the user is asked (`needs-admin`), never prompted out of the blue.
 *
 * Each stage is published as progress (the core shows it in the status), and one switch runs at
 * a time: a second request joins the one under way. Everything that touches the world is a
 * dependency, so the order and the refusals are tested without a builder.
 */
import type { HostKeySwitchProgress, HostKeySwitchStage, Status, VmState } from '../../../ipc/contract.js';
import { BuilderBarError } from '../../errors.js';
import type { WiringTarget } from '../../nix/wiringTarget.js';
import type { BuilderImage } from './builderImage.js';

export interface HostKeySwitchDeps {
  builderState(): VmState;
  /** How many builds and ssh sessions use the builder now (the core's builds, those seen on the builder, Nix's sessions through the proxy). */
  buildsOnBuilder(): number;
  /** Restarts the builder and waits until it is ready or failed. */
  restartAndWait(): Promise<Status>;
  /** The target the wiring was last applied to, or null when Nix is not wired. */
  recordedTarget(): Promise<WiringTarget | null>;
  /** Applies the wiring to that config directory again (the pin follows the running builder). */
  reapply(confDir: string): Promise<{ summary: string }>;
  report(message: string): void;
  now?: () => number;
  /** Waits between looks at the build queue; tests pass one that resolves at once. */
  pause?: (ms: number) => Promise<void>;
  pollMs?: number;
}

export type RePin = 'applied' | 'needs-admin' | 'no-wiring' | 'not-started';

export interface HostKeySwitchResult {
  storePath: string;
  realised: boolean;
  /** True when the builder now runs with this install's key. */
  switched: boolean;
  rePin: RePin;
  /** What is left for the user, in words; null when nothing is. */
  next: string | null;
}

export const ADMIN_RE_PIN_STEP =
  'Nix\'s system configuration (/etc/nix) still pins nixpkgs\' published key: apply the Nix wiring again (Nix → Apply, or builder-bar nix apply), which asks for an administrator\'s password, so root\'s nix-daemon pins the builder\'s own key.';

export class HostKeySwitch {
  private current: HostKeySwitchProgress | null = null;
  private running: Promise<HostKeySwitchResult> | null = null;
  private readonly listeners = new Set<(progress: HostKeySwitchProgress | null) => void>();

  constructor(private readonly deps: HostKeySwitchDeps) {}

  progress(): HostKeySwitchProgress | null {
    return this.current;
  }

  onProgress(listener: (progress: HostKeySwitchProgress | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs the switch, building (or finding) the image with `buildImage`; or joins the one already running. */
  run(buildImage: () => Promise<BuilderImage>): Promise<HostKeySwitchResult> {
    if (this.running) return this.running;
    const run = this.switchNow(buildImage).catch((error: unknown) => {
      this.publish('failed', error instanceof Error ? error.message : String(error));
      throw error;
    }).finally(() => {
      this.running = null;
    });
    this.running = run;
    return run;
  }

  private async switchNow(buildImage: () => Promise<BuilderImage>): Promise<HostKeySwitchResult> {
    this.publish('building', 'Building the builder image with a host key of its own, on the builder itself (through the Nix wiring).');
    const image = await buildImage();
    const base = { storePath: image.storePath, realised: image.realised };

    if (this.deps.builderState() === 'stopped') {
      // The user stopped it meanwhile: starting it again is not this action's to decide.
      const next = 'The builder is stopped: it starts with its own host key next time; then apply the Nix wiring again so Nix pins that key.';
      this.publish('done', next);
      return { ...base, switched: false, rePin: 'not-started', next };
    }

    await this.waitForIdleBuilder();
    this.publish('restarting', 'Restarting the builder into the image with its own host key.');
    const status = await this.deps.restartAndWait();
    if (status.state !== 'ready') {
      throw new BuilderBarError('vm-failed',
        `The builder did not come back after switching to its own host key: ${status.error?.message ?? status.state}.`,
        status.error?.hint ?? 'See the builder\'s console log; the stock image is still there: remove the own-host-key image\'s root (builder-image-own) in the state dir to go back to it.');
    }
    if (status.hostKey?.weakness !== null && status.hostKey?.weakness !== undefined) {
      throw new BuilderBarError('vm-failed', 'The builder came back still presenting nixpkgs\' published host key, not its own.',
        'The own-host-key image is not the one this start chose: check the builder log for the image it used and report it.');
    }
    this.deps.report(`The builder now presents its own host key (${status.hostKey?.fingerprint ?? 'unknown fingerprint'}).`);

    this.publish('re-pinning', 'Pinning the builder\'s new host key in Nix\'s configuration.');
    const target = await this.deps.recordedTarget();
    if (target === null) {
      const next = 'Nix is not wired to the builder yet: applying the wiring (Nix → Apply) pins its own key.';
      this.publish('done', next);
      return { ...base, switched: true, rePin: 'no-wiring', next };
    }
    if (target.kind === 'system') {
      this.publish('needs-admin', ADMIN_RE_PIN_STEP);
      return { ...base, switched: true, rePin: 'needs-admin', next: ADMIN_RE_PIN_STEP };
    }
    const applied = await this.deps.reapply(target.dir);
    this.deps.report(`Re-pinned the builder's own host key in ${target.dir}: ${applied.summary}`);
    this.publish('done', `The builder runs with its own host key, and Nix (${target.dir}) pins it.`);
    return { ...base, switched: true, rePin: 'applied', next: null };
  }

  private async waitForIdleBuilder(): Promise<void> {
    const pause = this.deps.pause ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    for (let busy = this.deps.buildsOnBuilder(); busy > 0; busy = this.deps.buildsOnBuilder()) {
      const words = `Waiting until nothing uses the builder (${busy} build${busy === 1 ? '' : 's'} or ssh session${busy === 1 ? '' : 's'} now) before restarting it.`;
      if (this.current?.message !== words) this.publish('waiting-for-builds', words);
      await pause(this.deps.pollMs ?? 2000);
    }
  }

  private publish(stage: HostKeySwitchStage, message: string): void {
    this.current = { stage, message, since: (this.deps.now ?? Date.now)() };
    this.deps.report(stage === 'failed' ? `Switching to the builder's own host key failed: ${message}` : message);
    for (const listener of this.listeners) listener(this.current);
  }
}
