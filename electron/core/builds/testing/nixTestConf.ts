/**
 * A Nix configuration directory a test owns (FACTS.md section 4): nothing under /etc is read or
 * written, no substituters (nothing waits on the internet), single-user Nix as the test's user.
 * The remote variant routes every build to the linux-test guest over ssh:// with its pinned host
 * key. The real wiring belongs to `electron/core/nix/`; this is only the tests' own.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir, writeFileAtomic } from '../../util/atomicWrite.js';
import { CLIENT_KEY_FILE, HOST_KEY_FILE } from '../../vm/keyStore.js';

/** The environment that makes Nix use a conf dir; merge it over the process environment. */
export type NixEnvironment = Record<string, string>;

const BASE_NIX_CONF = ['build-users-group =', 'sandbox = false', 'substituters =', ''].join('\n');

/** Local builds only. */
export async function writeLocalNixConf(dir: string): Promise<NixEnvironment> {
  await ensurePrivateDir(dir);
  await writeFileAtomic(path.join(dir, 'nix.conf'), BASE_NIX_CONF, { mode: 0o600 });
  return { NIX_CONF_DIR: dir };
}

export interface RemoteBuilderAccess {
  /** The state dir's keys directory (client key, pinned guest host key). */
  keysDir: string;
  /** The forwarded ssh port on 127.0.0.1. */
  sshPort: number;
  /** The guest's ssh user: the profile's sshUser (`builder`, as on nixpkgs' builder). */
  user: string;
  /** `ssh://` (nix-store --serve) or `ssh-ng://` (nix-daemon --stdio). */
  protocol?: 'ssh' | 'ssh-ng';
}

export const TEST_BUILDER_ALIAS = 'builder-bar-test';

/** The machines entry Nix will report as the build's machine (activity 105's field 1). */
export function testMachineUri(protocol: 'ssh' | 'ssh-ng' = 'ssh'): string {
  return `${protocol}://${TEST_BUILDER_ALIAS}`;
}

export async function writeRemoteNixConf(dir: string, access: RemoteBuilderAccess): Promise<NixEnvironment> {
  await ensurePrivateDir(dir);
  const hostKey = (await fs.readFile(path.join(access.keysDir, `${HOST_KEY_FILE}.pub`), 'utf8')).trim().split(/\s+/);
  const [keyType, keyBlob] = hostKey;
  if (!keyType || !keyBlob) throw new Error(`the pinned host key in ${access.keysDir} is malformed`);
  const machines = path.join(dir, 'machines');
  const knownHosts = path.join(dir, 'known_hosts');
  const sshConfig = path.join(dir, 'ssh_config');
  await writeFileAtomic(path.join(dir, 'nix.conf'), `${BASE_NIX_CONF}builders = @${machines}\n`, { mode: 0o600 });
  await writeFileAtomic(machines, `${testMachineUri(access.protocol)} x86_64-linux - 1 1\n`, { mode: 0o600 });
  await writeFileAtomic(knownHosts, `${TEST_BUILDER_ALIAS} ${keyType} ${keyBlob}\n`, { mode: 0o600 });
  await writeFileAtomic(
    sshConfig,
    [
      `Host ${TEST_BUILDER_ALIAS}`,
      '  HostName 127.0.0.1',
      `  Port ${access.sshPort}`,
      `  User ${access.user}`,
      `  HostKeyAlias ${TEST_BUILDER_ALIAS}`,
      // Quoted: a state dir may have spaces (ssh_config splits unquoted values at them).
      `  IdentityFile "${path.join(access.keysDir, CLIENT_KEY_FILE)}"`,
      '  IdentitiesOnly yes',
      '  StrictHostKeyChecking yes',
      `  UserKnownHostsFile "${knownHosts}"`,
      '  ServerAliveInterval 30',
      '  ServerAliveCountMax 3',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return { NIX_CONF_DIR: dir, NIX_SSHOPTS: `-F ${sshConfig}` };
}
