/**
 * What a saved settings change means for the running builder, in words. A change that only
 * applies after a restart, or only to a new disk, says so instead of silently waiting (users
 * of nix-darwin's linux-builder found a new disk size quietly ignored: nix-darwin issue 1200).
 */
import type { Settings, SettingsEffects, VmState } from '../../ipc/contract.js';
import { describeHolder, findPortHolder, isPortFree } from '../vm/hostPort.js';
import { builderCpus } from '../vm/profiles/darwinLinuxBuilder.js';

/** Fields the running QEMU process was started with. */
export const NEEDS_RESTART: ReadonlySet<keyof Settings> = new Set(['profile', 'cpus', 'memoryMiB', 'hostPort', 'hostPortAuto', 'builderNixpkgs']);

export interface EffectsInput {
  changed: (keyof Settings)[];
  before: Settings;
  after: Settings;
  state: VmState;
  /** The existing disk's size, or null when there is no disk yet. */
  diskSizeGiB: () => Promise<number | null>;
  /** The Mac's architecture (Apple Silicon caps the builder's CPUs); default this process's. */
  hostArch?: string;
  /** Who holds a port on 127.0.0.1 now, in words, or null when it is free; default: asks the system. */
  portTaken?: (port: number) => Promise<string | null>;
  /** The port the running builder's ssh forward listens on, null when none runs. */
  builderPort?: number | null;
}

async function portTakenNow(port: number): Promise<string | null> {
  if (await isPortFree(port)) return null;
  return describeHolder(port, await findPortHolder(port));
}

export async function settingsEffects(input: EffectsInput): Promise<SettingsEffects> {
  const messages: string[] = [];
  const running = input.state !== 'stopped';
  const restartFields = input.changed.filter((key) => NEEDS_RESTART.has(key));
  const needsRestart = running && restartFields.length > 0;
  if (needsRestart) {
    messages.push(`Restart the builder to apply ${restartFields.join(', ')}; it keeps running with the old values until then.`);
  }
  if (input.changed.includes('hostPort')) {
    // Said now, not only at the next start: the port a user picked may be nix-darwin's builder's.
    // The running builder's own port is not "taken": its QEMU lets it go at the restart (say, a
    // user picking the port hostPortAuto chose, to keep it).
    const ownPort = running && input.builderPort === input.after.hostPort;
    const taken = ownPort ? null : await (input.portTaken ?? portTakenNow)(input.after.hostPort);
    if (taken !== null) {
      messages.push(
        input.after.hostPortAuto
          ? `${taken} The builder uses the next free port above it while it is.`
          : `${taken} The builder cannot start on it while it is: stop that program, pick another port, or turn on hostPortAuto.`,
      );
    }
  }
  let needsNewDisk = false;
  if (input.changed.includes('diskGiB')) {
    const existing = await input.diskSizeGiB();
    if (existing !== null && existing !== input.after.diskGiB) {
      needsNewDisk = true;
      messages.push(
        `The builder's disk already exists with ${existing} GiB; ${input.after.diskGiB} GiB applies only to a new disk (a disk is not grown in place). ` +
          'To get the new size now: stop the builder and delete the disk (the store paths it holds go with it).',
      );
    }
  }
  if (input.changed.includes('builderNixpkgs') && input.after.profile === 'darwin-linux-builder') {
    messages.push(
      `The builder image follows nixpkgs ${input.after.builderNixpkgs.rev.slice(0, 12)} from the next start: Builder Bar realises it then, ` +
        'once, and says first what Nix will fetch; the current image stays until that succeeds.',
    );
  }
  if ((input.changed.includes('cpus') || input.changed.includes('profile')) && input.after.profile === 'darwin-linux-builder') {
    const arch = (input.hostArch ?? process.arch) === 'x64' ? 'x64' : 'arm64';
    const { capped } = builderCpus(arch, input.after.cpus);
    if (capped) messages.push(capped);
  }
  if (input.changed.includes('onDemand')) {
    messages.push(
      input.after.onDemand
        ? 'On demand is on: apply the Nix wiring again (builder-bar nix apply, or Apply in the Nix card) so Nix\'s ssh goes through Builder Bar and starts the builder; ' +
            `it stops after ${input.after.idleStopMinutes} min with no build and no ssh session.`
        : 'On demand is off: the builder no longer stops when idle. Apply the Nix wiring again so Nix connects to it directly.',
    );
  }
  if (input.changed.includes('openAtLogin')) {
    messages.push(
      input.after.openAtLogin
        ? 'Builder Bar opens when you log in: the Mac app registers itself as a login item when it runs (under `serve` alone nothing is registered).'
        : 'Builder Bar no longer opens when you log in: the Mac app removes its login item when it runs.',
    );
  }
  return { needsRestart, needsNewDisk, messages };
}
