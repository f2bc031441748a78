/**
 * What the snapshot's safety rests on in the linux-test guest's own files (resources/guest/rootfs),
 * checked where a later edit would break it silently: the restored guest would still boot and
 * answer, only less safely or against the wrong store.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultGuestResourcesDir } from './linuxTestImage.js';

const rootfs = path.join(defaultGuestResourcesDir(), 'rootfs');
const read = (file: string): string => readFileSync(path.join(rootfs, file), 'utf8');
const setting = (config: string, key: string): string | undefined =>
  config.split('\n').find((line) => line.startsWith(`${key} `))?.slice(key.length + 1).trim();

describe('the linux-test guest', () => {
  it('runs sshd without re-executing only with key exchanges that take their randomness from getrandom', () => {
    const sshd = read('etc/inittab').split('\n').find((line) => line.includes('/usr/sbin/sshd'));
    expect(sshd).toMatch(/ -r /);
    const config = read('etc/ssh/sshd_config');
    // Forked children share the listener's memory with every restore of the snapshot: nothing
    // that draws on OpenSSL's generator (Diffie-Hellman, NIST curves), no randomised host key.
    const kex = (setting(config, 'KexAlgorithms') ?? '').split(',');
    expect(kex.length).toBeGreaterThan(0);
    for (const name of kex) expect(name).toMatch(/^(sntrup761x25519-sha512@openssh\.com|curve25519-sha256(@libssh\.org)?)$/);
    expect(setting(config, 'HostKeyAlgorithms')).toBe('ssh-ed25519');
    expect(setting(config, 'HostKey')).toBe('/etc/ssh/ssh_host_ed25519_key');
  });

  it('makes its mounts propagate before the nix-daemon starts, and binds its socket under /nix only after the disk is mounted', () => {
    const boot = read('etc/builder-bar/boot');
    const inittab = read('etc/inittab');
    // sysinit (boot) runs to its end before init starts any respawn entry.
    expect(inittab.indexOf('::sysinit:/etc/builder-bar/boot')).toBeLessThan(inittab.indexOf('::respawn:/etc/builder-bar/nix-daemon'));
    expect(boot).toMatch(/^mount --make-rshared \/ /m);
    expect(read('etc/builder-bar/nix-daemon')).toMatch(/^export NIX_DAEMON_SOCKET_PATH=\/run\/nix-daemon-socket\/socket$/m);
    const goOn = read('etc/builder-bar/go-on');
    const mounted = goOn.indexOf('mount -t ext4');
    const bound = goOn.indexOf('mount --bind /run/nix-daemon-socket /nix/var/nix/daemon-socket');
    expect(mounted).toBeGreaterThan(0);
    expect(bound).toBeGreaterThan(mounted);
  });
});
