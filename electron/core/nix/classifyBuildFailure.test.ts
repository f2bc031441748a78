import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { classifyBuildFailure, type ClassifyContext } from './classifyBuildFailure.js';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../../resources/nix/fixtures/${name}`, import.meta.url)), 'utf8');
const confDir: ClassifyContext = { trusted: true, systemTarget: false, platform: 'darwin' };
const system: ClassifyContext = { trusted: false, systemTarget: true, platform: 'darwin' };

/**
 * Every stderr here was recorded from that Nix on this machine (Debian's 2.8 and the current Nix
 * of resources/setup/ensure-current-nix.mjs); daemonVerify.integration.test.ts produces the
 * daemon cases live on both.
 */
describe.each([{ label: 'Nix 2.8', v: '2.8' }, { label: 'Nix 2.34', v: '2.34' }])('classifyBuildFailure on stderr recorded from $label', ({ v }) => {
  it('a closed port: builder not ready, with the raw tail kept', () => {
    const failure = classifyBuildFailure(fixture(`nix-build-${v}-connection-refused.stderr`), confDir);
    expect(failure.cause).toBe('builder-not-ready');
    expect(failure.message).toMatch(/^Builder not ready/);
    expect(failure.stderrTail.join('\n')).toContain('Connection refused');
  });

  it('a builder offering aarch64-linux for an x86_64-linux build: system mismatch, naming both as plain systems', () => {
    const failure = classifyBuildFailure(fixture(`nix-build-${v}-system-mismatch.stderr`), confDir);
    expect(failure.cause).toBe('system-mismatch');
    expect(failure.message).toBe("System mismatch: the build needs a 'x86_64-linux' machine and the configured builders offer aarch64-linux.");
  });

  it('no builder known and the daemon reads the wiring (system target): daemon not restarted, saying how to restart it', () => {
    for (const name of [`nix-build-${v}-no-builders.stderr`, `nix-build-${v}-wrong-system-local.stderr`]) {
      const failure = classifyBuildFailure(fixture(name), system);
      expect(failure.cause, name).toBe('daemon-not-restarted');
      expect(failure.message).toMatch(/^Daemon not restarted: /);
      expect(failure.fix).toContain('sudo launchctl kickstart -k system/org.nixos.nix-daemon');
    }
    expect(classifyBuildFailure(fixture(`nix-build-${v}-no-builders.stderr`), { ...system, platform: 'linux' }).fix).toContain('sudo systemctl restart nix-daemon.service');
    expect(classifyBuildFailure(fixture(`nix-build-${v}-no-builders.stderr`), { ...system, determinate: true }).fix).toContain('system/systems.determinate.nix-daemon');
  });

  it('a daemon that does not trust the user dropped the builders the client passed: user not trusted, with both ways out', () => {
    const failure = classifyBuildFailure(fixture(`nix-build-${v}-daemon-untrusted.stderr`), { trusted: false, systemTarget: false, platform: 'darwin' });
    expect(failure.cause).toBe('user-not-trusted');
    expect(failure.message).toMatch(/^User not trusted: /);
    expect(failure.fix).toContain('system target');
    expect(failure.fix).toContain('trusted-users');
    expect(failure.fix).toContain('sudo launchctl kickstart -k system/org.nixos.nix-daemon');
  });

  it('a conf-dir wiring\'s builders passed to a daemon that trusts the user but runs ssh without the conf dir\'s ssh_config: says so, not "builder not ready"', () => {
    const failure = classifyBuildFailure(fixture(`nix-build-${v}-daemon-without-ssh-config.stderr`), { ...confDir, buildersPassedToDaemon: true });
    expect(failure.cause).toBe('unknown');
    expect(failure.message).toContain('does not read the config directory\'s ssh_config');
    expect(failure.fix).toContain('system target');
  });

  it('a pinned key the guest does not have: host key mismatch', () => {
    const failure = classifyBuildFailure(fixture('nix-build-2.8-host-key-mismatch.stderr'), confDir);
    expect(failure.cause).toBe('host-key-mismatch');
    expect(failure.message).toMatch(/^Host key mismatch/);
  });
});

describe('classifyBuildFailure: what tells the daemon cases apart', () => {
  it('newer Nix names the dropped builders itself, even when detection thought the user trusted', () => {
    expect(classifyBuildFailure(fixture('nix-build-2.34-daemon-untrusted.stderr'), { trusted: null, systemTarget: false }).cause).toBe('user-not-trusted');
  });
  it('Nix 2.8 says nothing: detection\'s trust decides, and without it the cause stays unknown', () => {
    expect(classifyBuildFailure(fixture('nix-build-2.8-daemon-untrusted.stderr'), { trusted: null, systemTarget: false }).cause).toBe('unknown');
  });
  it('with the system target trust is no cause: the daemon reads /etc/nix itself, so no builder means it was not restarted', () => {
    expect(classifyBuildFailure(fixture('nix-build-2.8-no-builders.stderr'), { trusted: false, systemTarget: true }).cause).toBe('daemon-not-restarted');
  });
  it('says it does not know otherwise, and keeps the tail', () => {
    const failure = classifyBuildFailure('error: something else\n', confDir);
    expect(failure.cause).toBe('unknown');
    expect(failure.stderrTail).toEqual(['error: something else']);
  });
});

describe('a daemon that would not talk to the client at all', () => {
  it('says the daemon refuses the user (allowed-users), or that no daemon answers, instead of blaming the builder', () => {
    const refused = classifyBuildFailure("error: cannot open connection to remote store 'daemon': error: reading from file: Connection reset by peer\n", { trusted: null, systemTarget: true, user: 'alice', platform: 'darwin' });
    expect(refused.cause).toBe('daemon-refuses-user');
    expect(refused.message).toContain('"alice"');
    expect(refused.fix).toContain('allowed-users');
    expect(refused.fix).toContain('sudo launchctl kickstart -k system/org.nixos.nix-daemon');
    const absent = classifyBuildFailure("error: cannot connect to socket at '/nix/var/nix/daemon-socket/socket': Connection refused\n", { trusted: null, systemTarget: true, platform: 'linux' });
    expect(absent.cause).toBe('daemon-not-answering');
    expect(absent.fix).toContain('sudo systemctl start nix-daemon.service');
  });
});
