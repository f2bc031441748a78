/**
 * "Make its own host key" end to end on the Mac profile's x86_64 (q35) launch under TCG: the
 * stock builder runs and is ready on the published key (flagged weak), Nix's wiring pins that
 * key in a config directory, then the switch builds the own-host-key image, restarts the builder
 * into it, and applies the wiring again: OpenSSH through that config reaches the builder on the
 * new key, and the published key is pinned nowhere.
 *
 * The stand-in nixpkgs (testing/fakeNixpkgs.ts) publishes a key of its own: nixpkgs' private half
 * is not at hand here, and a stock guest must present the private half of what the profile pins.
 * Its run script hands that key in as nixpkgs' image has it built in, unless Builder Bar hands in
 * the install's own (the own-host-key image's start). The own image is built by the host's Nix
 * (the stand-in's derivations are /bin/sh scripts), not on the guest: that Nix reaches a Linux
 * builder through the wiring is what the Nix tests prove.
 */
import { execa } from 'execa';
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Settings } from '../../../ipc/contract.js';
import { writeLocalNixConf, type NixEnvironment } from '../../builds/testing/nixTestConf.js';
import { BUILDER_ALIAS } from '../../nix/builderEndpoint.js';
import { environmentNix } from '../../nix/nixInstallation.js';
import { nixHandlers } from '../../nix/nixHandlers.js';
import { readWiringRecord } from '../../nix/wiringRecord.js';
import { statePaths, type StatePaths } from '../../paths.js';
import { defaultSettings } from '../../settings/defaults.js';
import { SettingsStore } from '../../settings/settingsStore.js';
import { hostLimits } from '../../settings/validateSettings.js';
import type { BuilderSupervisor } from '../builderSupervisor.js';
import { ensureLinuxTestImage } from '../guest-image/linuxTestImage.js';
import { fingerprintOfPublicKey } from '../keyStore.js';
import { isProcessAlive } from '../qemuProcess.js';
import { DARWIN_BUILDER_HOST_KEY } from './darwinLinuxBuilder.js';
import { buildOwnHostKeyImage } from './hostKeyBootstrap.js';
import { HostKeySwitch } from './hostKeySwitch.js';
import { makeFakeNixpkgs, type FakeNixpkgs } from './testing/fakeNixpkgs.js';
import { macQ35Supervisor } from './testing/macQ35Supervisor.js';

let root: string;
let paths: StatePaths;
let fake: FakeNixpkgs;
let env: NixEnvironment;
let nixBinDir: string;
let publishedKey: string;
const logged: string[] = [];
const qemuPids = new Set<number>();
let supervisor: BuilderSupervisor | null = null;

/** The stand-in's stock image: its published key unless Builder Bar hands in the install's own. */
function standInRunScript(published: string, linuxTestRunScript: string): string {
  return [
    '#!/bin/sh',
    'case "$QEMU_OPTS" in',
    '  *opt/builder-bar/ssh_host_ed25519_key*) ;;',
    `  *) QEMU_OPTS="$QEMU_OPTS -fw_cfg name=opt/builder-bar/ssh_host_ed25519_key,file=${published}"; export QEMU_OPTS ;;`,
    'esac',
    `exec ${linuxTestRunScript} "$@"`,
    '',
  ].join('\n');
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-own-key-switch-'));
  paths = statePaths({ stateDir: path.join(root, 'state') });
  nixBinDir = path.dirname((await environmentNix().require()).programs['nix-build']);
  env = await writeLocalNixConf(path.join(root, 'nix-conf'));
  const image = await ensureLinuxTestImage({ imagesDir: path.join(root, 'guest-images'), report: (line) => logged.push(line) });
  const publishedFile = path.join(root, 'published_ed25519');
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'stand-in nixpkgs', '-f', publishedFile]);
  publishedKey = (await fs.readFile(`${publishedFile}.pub`, 'utf8')).trim();
  const runScript = path.join(root, 'run-stand-in-builder');
  await fs.writeFile(runScript, standInRunScript(publishedFile, image.runScript), { mode: 0o755 });
  fake = await makeFakeNixpkgs({ dir: root, nixBinDir, runScript, qemuBinDir: '/usr/bin', mkfsExt4: '/sbin/mkfs.ext4' });
  // The settings file the wiring reads (as `builder-bar nix` does, without a core).
  const store = await SettingsStore.open({ file: paths.settingsFile, limits: hostLimits(), logs: { append: () => undefined }, platform: 'darwin' });
  await store.update({ profile: 'darwin-linux-builder', cpus: 2, memoryMiB: 1024, diskGiB: 2, hostPortAuto: true, builderNixpkgs: fake.pin });
}, 900_000);

afterAll(async () => {
  await supervisor?.close({ stopBuilder: true }).catch(() => undefined);
  for (const pid of qemuPids) if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

describe('switching the Mac builder (q35 under TCG) to its own host key', () => {
  it('goes from the published key to its own, restarting the builder and re-pinning the config dir\'s wiring', async () => {
    const settings: Settings = { ...defaultSettings('darwin'), profile: 'darwin-linux-builder', cpus: 2, memoryMiB: 1024, diskGiB: 2, hostPortAuto: true, builderNixpkgs: fake.pin };
    const running = macQ35Supervisor({ paths, getSettings: () => settings, fake, nixBinDir, nixEnv: env, logged, qemuPids, publishedHostKey: publishedKey });
    supervisor = running;

    const stock = await running.start({ wait: true, timeoutMs: 400_000 });
    expect(stock.state, `${stock.error?.message}\n${logged.slice(-30).join('\n')}`).toBe('ready');
    expect(stock.hostKey).toMatchObject({ fingerprint: fingerprintOfPublicKey(publishedKey), weakness: expect.stringContaining('publishes') });

    const confDir = path.join(root, 'nix-wired');
    const nix = nixHandlers({ paths, platform: 'darwin', logs: { append: (source, level, text) => logged.push(`${source} ${level} ${text}`) }, builder: running });
    await nix['nix.apply']({ confDir });
    const knownHosts = path.join(confDir, 'known_hosts');
    // The wiring pins what the stock image of real nixpkgs presents: the stand-in only differs on the guest side.
    expect(await fs.readFile(knownHosts, 'utf8')).toContain(DARWIN_BUILDER_HOST_KEY.split(' ')[1]);

    const stages: string[] = [];
    const hostKeySwitch = new HostKeySwitch({
      builderState: () => running.status().state,
      buildsOnBuilder: () => 0,
      restartAndWait: async () => {
        await running.restart();
        return running.start({ wait: true, timeoutMs: 400_000 });
      },
      recordedTarget: async () => (await readWiringRecord(paths.stateDir))?.target ?? null,
      reapply: (dir) => nix['nix.apply']({ confDir: dir }),
      report: (message) => logged.push(`app info ${message}`),
    });
    hostKeySwitch.onProgress((progress) => {
      if (progress) stages.push(progress.stage);
    });
    const result = await hostKeySwitch.run(() => buildOwnHostKeyImage(
      { vmDir: paths.vmDir, nixBuild: path.join(nixBinDir, 'nix-build'), report: (line) => logged.push(line), archiveUrl: fake.archiveUrl, env },
      fake.pin,
    ));
    expect(result, logged.slice(-30).join('\n')).toMatchObject({ switched: true, rePin: 'applied', next: null });
    expect(stages).toEqual(['building', 'restarting', 're-pinning', 'done']);

    const own = running.status();
    expect(own.state).toBe('ready');
    expect(own.hostKey?.weakness).toBeNull();
    expect(own.hostKey?.fingerprint).not.toBe(fingerprintOfPublicKey(publishedKey));
    const pinned = await fs.readFile(knownHosts, 'utf8');
    expect(pinned).toContain(own.hostKey?.publicKey.split(' ')[1]);
    expect(pinned).not.toContain(DARWIN_BUILDER_HOST_KEY.split(' ')[1]);

    // What Nix's ssh does: OpenSSH with the wiring's config, strict about the pinned key.
    const ssh = await execa('ssh', ['-F', path.join(confDir, 'ssh_config'), '-o', 'BatchMode=yes', BUILDER_ALIAS, 'id', '-un'], { reject: false });
    expect(ssh.stdout.trim(), ssh.stderr).toBe('builder');
    await running.stop({ force: false });
  }, 1_500_000);
});
