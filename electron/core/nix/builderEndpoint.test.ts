import { describe, expect, it } from 'vitest';
import { knownHostsLine, machinesLine, sshAliasLines, type BuilderEndpoint } from './builderEndpoint.js';

const hostKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJBWcxb/Blaqt1auOtE+F8QUWrUotiC5qBJ+UuEWdVCb root@nixos';
const builder: BuilderEndpoint = {
  alias: 'builder-bar-linux',
  port: 41234,
  user: 'root',
  systems: ['x86_64-linux'],
  maxJobs: 2,
  speedFactor: 1,
  supportedFeatures: [],
  hostPublicKey: hostKey,
};

describe('machinesLine', () => {
  it('has the eight fields Nix reads, "-" for none, and the base64 of the key line without its comment', () => {
    const line = machinesLine(builder, '/conf/builder-bar_ed25519');
    const fields = line.split(' ');
    expect(fields).toHaveLength(8);
    expect(fields.slice(0, 7)).toEqual(['ssh://builder-bar-linux', 'x86_64-linux', '/conf/builder-bar_ed25519', '2', '1', '-', '-']);
    expect(Buffer.from(fields[7]!, 'base64').toString()).toBe('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJBWcxb/Blaqt1auOtE+F8QUWrUotiC5qBJ+UuEWdVCb');
  });
  it('lists features comma-separated', () => {
    expect(machinesLine({ ...builder, supportedFeatures: ['benchmark', 'big-parallel'] }, '/k').split(' ')[5]).toBe('benchmark,big-parallel');
  });
  it('refuses a key path with whitespace, which would shift every field', () => {
    expect(() => machinesLine(builder, '/Library/Application Support/key')).toThrow('whitespace');
  });
});

describe('the ssh alias and known-hosts line', () => {
  it('pins the host key under the alias and keeps the connection alive', () => {
    expect(sshAliasLines(builder, '/conf/key', '/conf/known_hosts')).toEqual([
      'Host builder-bar-linux',
      '  HostName 127.0.0.1',
      '  Port 41234',
      '  User root',
      '  HostKeyAlias builder-bar-linux',
      '  IdentityFile /conf/key',
      '  IdentitiesOnly yes',
      '  StrictHostKeyChecking yes',
      '  UserKnownHostsFile /conf/known_hosts',
      '  ServerAliveInterval 30',
      '  ServerAliveCountMax 3',
    ]);
    expect(knownHostsLine(builder)).toBe('builder-bar-linux ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJBWcxb/Blaqt1auOtE+F8QUWrUotiC5qBJ+UuEWdVCb');
  });
});
