import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { defaultSettings } from './defaults.js';
import { settingsEffects } from './settingsEffects.js';

const before = defaultSettings('linux');

describe('settingsEffects', () => {
  it('asks for a restart only when the running builder was started with the old value', async () => {
    const after = { ...before, cpus: 2 };
    const running = await settingsEffects({ changed: ['cpus'], before, after, state: 'ready', diskSizeGiB: async () => null });
    expect(running.needsRestart).toBe(true);
    expect(running.messages[0]).toMatch(/Restart the builder to apply cpus/);
    const stopped = await settingsEffects({ changed: ['cpus'], before, after, state: 'stopped', diskSizeGiB: async () => null });
    expect(stopped).toEqual({ needsRestart: false, needsNewDisk: false, messages: [] });
  });

  it('says at once when the new host port is taken by another program, and what the builder will do', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, () => resolve()));
    const { port } = server.address() as net.AddressInfo;
    try {
      const fixed = await settingsEffects({ changed: ['hostPort'], before, after: { ...before, hostPort: port, hostPortAuto: false }, state: 'stopped', diskSizeGiB: async () => null });
      expect(fixed.messages.join('\n')).toMatch(new RegExp(`Port ${port} on 127\\.0\\.0\\.1 is in use by .*The builder cannot start on it while it is`));
      const auto = await settingsEffects({ changed: ['hostPort'], before, after: { ...before, hostPort: port, hostPortAuto: true }, state: 'stopped', diskSizeGiB: async () => null });
      expect(auto.messages.join('\n')).toMatch(/The builder uses the next free port above it while it is/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const free = await settingsEffects({ changed: ['hostPort'], before, after: { ...before, hostPort: port }, state: 'stopped', diskSizeGiB: async () => null });
    expect(free.messages).toEqual([]);
  });

  it("does not call the running builder's own port taken: its QEMU lets it go at the restart", async () => {
    const asked: number[] = [];
    const portTaken = async (port: number): Promise<string | null> => {
      asked.push(port);
      return `Port ${port} on 127.0.0.1 is in use by qemu-system-x86_64 (pid 4242).`;
    };
    const after = { ...before, hostPort: 31023, hostPortAuto: false };
    const own = await settingsEffects({ changed: ['hostPort'], before, after, state: 'ready', builderPort: 31023, portTaken, diskSizeGiB: async () => null });
    expect(own.messages).toEqual(['Restart the builder to apply hostPort; it keeps running with the old values until then.']);
    expect(asked).toEqual([]);
    // Another port, or the same port once the builder is stopped (then someone else holds it), is asked about.
    const other = await settingsEffects({ changed: ['hostPort'], before, after, state: 'ready', builderPort: 31022, portTaken, diskSizeGiB: async () => null });
    expect(other.messages.join('\n')).toMatch(/in use by qemu-system-x86_64 \(pid 4242\)\. The builder cannot start on it/);
    const stopped = await settingsEffects({ changed: ['hostPort'], before, after, state: 'stopped', builderPort: null, portTaken, diskSizeGiB: async () => null });
    expect(stopped.messages.join('\n')).toMatch(/in use by/);
  });

  it('never asks for a restart for settings the VM does not use', async () => {
    const after = { ...before, startOnLaunch: true };
    const effects = await settingsEffects({ changed: ['startOnLaunch'], before, after, state: 'ready', diskSizeGiB: async () => 4 });
    expect(effects.needsRestart).toBe(false);
  });

  it('says what Open at Login does and where it takes effect, with no restart', async () => {
    const on = await settingsEffects({ changed: ['openAtLogin'], before, after: { ...before, openAtLogin: true }, state: 'ready', diskSizeGiB: async () => 4 });
    expect(on).toEqual({
      needsRestart: false,
      needsNewDisk: false,
      messages: ['Builder Bar opens when you log in: the Mac app registers itself as a login item when it runs (under `serve` alone nothing is registered).'],
    });
    const off = await settingsEffects({ changed: ['openAtLogin'], before: { ...before, openAtLogin: true }, after: before, state: 'stopped', diskSizeGiB: async () => 4 });
    expect(off.messages).toEqual(['Builder Bar no longer opens when you log in: the Mac app removes its login item when it runs.']);
  });

  it('says a new disk size needs a new disk when a disk of another size exists', async () => {
    const after = { ...before, diskGiB: 40 };
    const effects = await settingsEffects({ changed: ['diskGiB'], before, after, state: 'stopped', diskSizeGiB: async () => 4 });
    expect(effects.needsNewDisk).toBe(true);
    expect(effects.messages.join(' ')).toMatch(/already exists with 4 GiB; 40 GiB applies only to a new disk/);
    const noDisk = await settingsEffects({ changed: ['diskGiB'], before, after, state: 'stopped', diskSizeGiB: async () => null });
    expect(noDisk.needsNewDisk).toBe(false);
  });
});

describe('settings effects of the Mac builder', () => {
  const mac = { ...defaultSettings('darwin') };
  it('says more than 8 CPUs on Apple Silicon run as 8, and why', async () => {
    const effects = await settingsEffects({ changed: ['cpus'], before: mac, after: { ...mac, cpus: 12 }, state: 'stopped', diskSizeGiB: async () => null, hostArch: 'arm64' });
    expect(effects.messages.join(' ')).toMatch(/8 CPUs, not 12: .*GICv2/);
    const intel = await settingsEffects({ changed: ['cpus'], before: mac, after: { ...mac, cpus: 12 }, state: 'stopped', diskSizeGiB: async () => null, hostArch: 'x64' });
    expect(intel.messages).toEqual([]);
  });

  it('a new nixpkgs pin needs a restart and says the image is realised once, at the next start', async () => {
    const after = { ...mac, builderNixpkgs: { rev: 'b'.repeat(40), narHash: mac.builderNixpkgs.narHash } };
    const effects = await settingsEffects({ changed: ['builderNixpkgs'], before: mac, after, state: 'ready', diskSizeGiB: async () => null });
    expect(effects.needsRestart).toBe(true);
    expect(effects.messages.join(' ')).toMatch(/follows nixpkgs bbbbbbbbbbbb from the next start/);
  });
});
