import { describe, expect, it } from 'vitest';
import { daemonConnectionProblem, daemonRestartCommand, DEFAULT_DAEMON_SOCKET, macDaemonRestartArgv, parseTrustAnswer, storeChoiceOf, trustQueryArgs } from './nixDaemonAccess.js';

describe('storeChoiceOf: which store NIX_REMOTE picks', () => {
  it('daemon, unix://, auto and anything else', () => {
    expect(storeChoiceOf({})).toEqual({ kind: 'auto', socket: DEFAULT_DAEMON_SOCKET });
    expect(storeChoiceOf({ NIX_REMOTE: 'daemon', NIX_DAEMON_SOCKET_PATH: '/tmp/s' })).toEqual({ kind: 'daemon', socket: '/tmp/s' });
    expect(storeChoiceOf({ NIX_REMOTE: 'unix:///tmp/other?x=1' })).toEqual({ kind: 'daemon', socket: '/tmp/other' });
    expect(storeChoiceOf({ NIX_REMOTE: 'local' })).toEqual({ kind: 'other', store: 'local' });
  });
});

describe('asking the daemon whether it trusts the client, by Nix version', () => {
  it('cannot before 2.15, `store ping` until 2.18, `store info` from 2.19', () => {
    expect(trustQueryArgs('2.8.0')).toBeNull();
    expect(trustQueryArgs('2.14.1')).toBeNull();
    expect(trustQueryArgs('2.15.0')?.slice(-3)).toEqual(['store', 'ping', '--json']);
    expect(trustQueryArgs('2.34.8')?.slice(-3)).toEqual(['store', 'info', '--json']);
  });
  it('reads the answer of 2.34 (recorded here) and the 0/1 form', () => {
    expect(parseTrustAnswer('{"trusted":false,"url":"daemon","version":"2.34.8"}')).toBe(false);
    expect(parseTrustAnswer('{"trusted":true,"url":"daemon","version":"2.34.8"}')).toBe(true);
    expect(parseTrustAnswer('{"trusted":1,"url":"daemon"}')).toBe(true);
    expect(parseTrustAnswer('{"url":"local"}')).toBeNull();
    expect(parseTrustAnswer('error: not json')).toBeNull();
  });
});

describe('daemonRestartCommand', () => {
  it('names launchd on a Mac (also Determinate) and systemd on Linux', () => {
    expect(daemonRestartCommand('darwin')).toBe('sudo launchctl kickstart -k system/org.nixos.nix-daemon');
    expect(daemonRestartCommand('darwin', true)).toBe('sudo launchctl kickstart -k system/systems.determinate.nix-daemon');
    expect(daemonRestartCommand('linux')).toBe('sudo systemctl restart nix-daemon.service');
  });
});

describe('the admin step restarts the daemon the Mac really runs', () => {
  it('kicks Determinate\'s own launchd service for a Determinate target, the installer\'s otherwise', () => {
    expect(macDaemonRestartArgv(true)).toEqual(['/bin/launchctl', 'kickstart', '-k', 'system/systems.determinate.nix-daemon']);
    expect(macDaemonRestartArgv(false)).toEqual(['/bin/launchctl', 'kickstart', '-k', 'system/org.nixos.nix-daemon']);
  });
});

describe('daemonConnectionProblem: what the client says when the daemon would not talk to it', () => {
  it('reads a daemon that refuses the user (allowed-users) and a socket nobody serves, as Nix 2.8 and 2.34 say them', () => {
    // Recorded from a rig daemon with `allowed-users = somebody-else` (detectNix.daemon.integration.test.ts).
    expect(daemonConnectionProblem("Store URL: daemon\nerror: cannot open connection to remote store 'daemon': error: reading from file: Connection reset by peer")).toBe('refuses-user');
    expect(daemonConnectionProblem("error: cannot open connection to remote store 'daemon': error: read of 32768 bytes: Connection reset by peer")).toBe('refuses-user');
    expect(daemonConnectionProblem("warning: 'ping' is a deprecated alias for 'info'\nStore URL: daemon\nerror: cannot open connection to remote store 'daemon': error: write of 16 bytes: Broken pipe")).toBe('refuses-user');
    expect(daemonConnectionProblem("error: cannot connect to socket at '/nix/var/nix/daemon-socket/socket': No such file or directory")).toBe('not-answering');
    expect(daemonConnectionProblem("error: cannot connect to socket at '/nix/var/nix/daemon-socket/socket': Connection refused")).toBe('not-answering');
    expect(daemonConnectionProblem('error: experimental Nix feature \'nix-command\' is disabled')).toBeNull();
  });
});
