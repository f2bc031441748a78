import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DAEMON_SOCKET, DETERMINATE_CUSTOM_CONF, detectNix, NIX_DARWIN_BUILDER_PLIST, type DetectDeps, type DetectOptions } from './detectNix.js';
import { parseNixVersion } from './nixConfigParse.js';
import type { NixResolution } from './nixInstallation.js';
import { fakeInstallation } from './testing/fakeNix.js';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../../resources/nix/fixtures/${name}`, import.meta.url)), 'utf8');

interface World {
  /** What `nix --version` prints; null: no Nix found. */
  version?: string | null;
  /** Every command detection ran, program first. */
  ran?: string[][];
  config?: string;
  daemon?: boolean;
  files?: Record<string, string>;
  port31022?: boolean;
  /** Counts how often detection looked at the port. */
  portLooks?: number;
  user?: string;
  groups?: string[];
  platform?: NodeJS.Platform;
  /** Answer as this recorded Nix does: 2.34 has `config show` and asks the daemon about trust. Default: 2.8's fixtures only. */
  recorded?: '2.8' | '2.34';
  /** What `nix store info --json` (2.34) prints; absent: the command fails. */
  storeInfo?: string;
  /** The environment Nix inherits (NIX_REMOTE). */
  env?: Record<string, string>;
}

function deps(world: World): DetectDeps {
  const files = world.files ?? {};
  return {
    user: world.user ?? 'alice',
    platform: world.platform ?? 'darwin',
    ...(world.env ? { env: world.env } : {}),
    async run(command, args) {
      (world.ran ??= []).push([command, ...args]);
      if (world.recorded === '2.34') {
        if (args.includes('config') || args.includes('show-config')) return { exitCode: 0, stdout: world.config ?? fixture('show-config-2.34.json'), stderr: '' };
        if (args.includes('store') && args.includes('info')) return world.storeInfo ? { exitCode: 0, stdout: world.storeInfo, stderr: '' } : { exitCode: 1, stdout: '', stderr: 'error: cannot connect to socket' };
      }
      // Nix 2.8 has no `config show`; detection must fall back to `show-config`.
      if (args.includes('config')) return { exitCode: 1, stdout: '', stderr: "error: 'config' is not a recognised command" };
      if (args.includes('show-config')) return { exitCode: 0, stdout: world.config ?? fixture('show-config-2.8.json'), stderr: '' };
      return null;
    },
    exists: async (file) => file in files,
    readFile: async (file) => files[file] ?? null,
    unixSocketAnswers: async (socketPath) => socketPath === DAEMON_SOCKET && world.daemon === true,
    portListened: async (port) => {
      world.portLooks = (world.portLooks ?? 0) + 1;
      return port === 31022 && world.port31022 === true;
    },
    groups: async () => world.groups ?? ['staff'],
  };
}

const PROFILE_BIN = '/nix/var/nix/profiles/default/bin';

/** The Nix the locator found for this world (nixInstallation.ts; its own tests cover the search). */
function nixOf(world: World): NixResolution {
  if (world.version === null) return { found: false, reason: 'Nix was not found on PATH or in Nix\'s profile directories (/nix/var/nix/profiles/default/bin).', hint: 'Install Nix (https://nixos.org/download).' };
  const parsed = parseNixVersion(world.version ?? fixture('version-2.8.txt'));
  if (!parsed) throw new Error('the world\'s version is not a Nix version line');
  return { found: true, installation: { ...fakeInstallation(PROFILE_BIN, parsed.version), determinate: parsed.determinate } };
}

function detect(world: World, options: DetectOptions = {}) {
  return detectNix(deps(world), { nix: nixOf(world), ...options });
}

describe('detectNix', () => {
  it("says which Nix runs when it is not the daemon's, and names the one it passed over", async () => {
    const storeInfo = fixture('store-info-2.34-untrusted.json');
    const base: World = { recorded: '2.34', daemon: true, user: 'alice', storeInfo, version: 'nix (Nix) 2.24.10\n' };
    const brew = '/opt/homebrew/bin';
    const installation = { ...fakeInstallation(brew, '2.24.10'), chosenBy: 'login-shell' as const, shadowed: [{ binDir: PROFILE_BIN, chosenBy: 'profile' as const }] };
    const detection = await detectNix(deps(base), { nix: { found: true, installation } });
    expect(detection.problems.find((problem) => problem.code === 'nix-differs-from-daemon')).toEqual({
      code: 'nix-differs-from-daemon',
      message: `Builder Bar runs Nix 2.24.10 in ${brew} (found on your login shell's PATH); the nix-daemon is Nix 2.34.8. Also holding a nix, not run: ${PROFILE_BIN}.`,
      fix: "They work together. To run the daemon's own Nix, set nixBinDir to its directory (a standard install: /nix/var/nix/profiles/default/bin), or put that directory first on your login shell's PATH.",
      blocking: false,
    });
    // The daemon's own version: nothing to say.
    const same = await detect({ ...base, version: 'nix (Nix) 2.34.8\n' });
    expect(same.problems.map((problem) => problem.code)).not.toContain('nix-differs-from-daemon');
  });

  it('says Nix is missing, with how to install it, and stops there', async () => {
    const world: World = { version: null };
    const detection = await detect(world);
    expect(detection.found).toBe(false);
    expect(detection.problems).toEqual([expect.objectContaining({ code: 'nix-missing', blocking: true, message: expect.stringContaining('profile directories') })]);
    expect(world.ran ?? []).toEqual([]);
  });

  it('single-user Nix (as here): version, mode, trusted, nothing in the way', async () => {
    const detection = await detect({ platform: 'linux', user: 'root' });
    expect(detection).toMatchObject({ found: true, version: '2.8.0', mode: 'single-user', trusted: true, determinate: false, builders: '@/etc/nix/machines' });
    expect(detection.problems).toEqual([]);
  });

  it('a daemon and a user not in trusted-users: says the builders are silently ignored and how to fix it', async () => {
    const detection = await detect({ daemon: true });
    expect(detection.mode).toBe('daemon');
    expect(detection.trusted).toBe(false);
    const problem = detection.problems.find((entry) => entry.code === 'user-not-trusted');
    expect(problem?.message).toContain('"alice" is not in Nix\'s trusted-users (root)');
    expect(problem?.fix).toContain('trusted-users = root alice');
  });

  it('trusts a member of a listed @group (recorded config with trusted-users = root @admin alice)', async () => {
    const detection = await detect({ daemon: true, user: 'bob', groups: ['staff', 'admin'], config: fixture('show-config-2.8-trusted-group.json') });
    expect(detection.trusted).toBe(true);
    expect(detection.trustedUsers).toEqual(['root', '@admin', 'alice']);
  });

  it('finds builders already configured inline and in machines files, and nix-darwin\'s linux-builder, without counting our own', async () => {
    const detection = await detect({
        daemon: true,
        user: 'alice',
        config: fixture('show-config-2.8-trusted-group.json'),
        port31022: true,
        files: {
          '/etc/nix/machines': 'ssh://builder-bar-linux x86_64-linux /k 1 1 - - AAAA\nssh://big-box x86_64-linux /k 8 2 - - -\n',
          [NIX_DARWIN_BUILDER_PLIST]: '<plist/>',
        },
      },
      { ownAlias: 'builder-bar-linux' },
    );
    expect(detection.machines.map((machine) => machine.host)).toEqual(['linux-builder', 'builder-bar-linux', 'big-box']);
    const codes = detection.problems.map((problem) => problem.code);
    expect(codes.filter((code) => code === 'other-builder')).toHaveLength(2);
    expect(codes).toContain('port-31022-taken');
    expect(codes).toContain('nix-darwin-linux-builder');
    expect(detection.problems.every((problem) => !problem.blocking)).toBe(true);
  });

  it('a builders line of 3,000 entries: names the first few builders and counts the rest, never one note each', async () => {
    const config = JSON.parse(fixture('show-config-2.8.json')) as Record<string, { value: unknown }>;
    const entries = Array.from({ length: 3000 }, (_, index) => `ssh://box-${index} x86_64-linux`);
    config.builders!.value = [...entries, 'ssh://builder-bar-linux x86_64-linux'].join(' ; ');
    const detection = await detect({ platform: 'linux', user: 'root', config: JSON.stringify(config) }, { ownAlias: 'builder-bar-linux' });
    expect(detection.machines).toHaveLength(3001);
    const others = detection.problems.filter((problem) => problem.code === 'other-builder');
    expect(others.length).toBeLessThanOrEqual(6);
    expect(others[0]!.message).toBe('A builder is already configured: ssh://box-0 (x86_64-linux) from builders setting.');
    expect(others.at(-1)!.message).toBe('And 2,995 more builders are already configured, from builders setting.');
    expect(others.at(-1)!.fix).toContain('list them all');
    expect(detection.otherBuilders).toBe(3000);
  });

  it('one huge machines entry is quoted cut short, not whole', async () => {
    const config = JSON.parse(fixture('show-config-2.8.json')) as Record<string, { value: unknown }>;
    config.builders!.value = `ssh://${'x'.repeat(100_000)} x86_64-linux`;
    const detection = await detect({ platform: 'linux', user: 'root', config: JSON.stringify(config) });
    const other = detection.problems.find((problem) => problem.code === 'other-builder')!;
    expect(other.message.length).toBeLessThan(400);
    expect(other.message).toContain('…');
  });

  it('our own VM on 31022 (the supervisor says so) is no stranger: no warning, and the port is not even looked at', async () => {
    const world: World = { platform: 'linux', user: 'root', port31022: true };
    const detection = await detect(world, { ownAlias: 'builder-bar-linux', ownBuilderPort: 31022 });
    expect(detection.problems).toEqual([]);
    expect(world.portLooks ?? 0).toBe(0);
  });

  it('a listener on 31022 while our VM runs on another port is someone else\'s: warned about', async () => {
    const world: World = { platform: 'linux', user: 'root', port31022: true };
    const detection = await detect(world, { ownAlias: 'builder-bar-linux', ownBuilderPort: 31023 });
    expect(detection.problems.map((problem) => problem.code)).toEqual(['port-31022-taken']);
  });

  it('reads the configuration through the chosen Nix by its absolute path, with the command its version has', async () => {
    const old: World = { platform: 'linux', user: 'root' };
    expect((await detect(old)).binary).toBe(`${PROFILE_BIN}/nix`);
    // 2.8: `show-config` at once (it has no `config show`), never a bare `nix` from PATH.
    expect(old.ran).toEqual([[`${PROFILE_BIN}/nix`, '--extra-experimental-features', 'nix-command', 'show-config', '--json']]);
    const current: World = { platform: 'linux', user: 'root', version: 'nix (Nix) 2.34.8\n' };
    const detection = await detect(current);
    expect(detection.version).toBe('2.34.8');
    // 2.34 is asked `config show` first; this recorded world only answers show-config, so both are tried.
    expect(current.ran?.map((argv) => argv.slice(3, 5))).toEqual([['config', 'show'], ['show-config', '--json']]);
    expect(current.ran?.every((argv) => argv[0] === `${PROFILE_BIN}/nix`)).toBe(true);
  });

  it('recognises Determinate Nix by nix.custom.conf and says where Builder Bar writes instead', async () => {
    const detection = await detect({ daemon: true, user: 'root', files: { [DETERMINATE_CUSTOM_CONF]: '' } });
    expect(detection.determinate).toBe(true);
    expect(detection.problems.find((problem) => problem.code === 'determinate')?.fix).toContain('/etc/nix/nix.custom.conf');
  });
});

const recorded = [
  { label: 'Nix 2.8', v: '2.8' as const, version: fixture('version-2.8.txt') },
  { label: 'Nix 2.34', v: '2.34' as const, version: fixture('version-2.34.txt') },
];

describe.each(recorded)('detectNix on configuration recorded from $label', ({ v, version }) => {
  const world = (more: World): World => ({ recorded: v, version, platform: 'darwin', ...more });

  it('reads the defaults: trusted-users root, builders @/etc/nix/machines; single-user is trusted', async () => {
    const detection = await detect(world({ user: 'root', platform: 'linux' }));
    expect(detection).toMatchObject({ version: v === '2.8' ? '2.8.0' : '2.34.8', mode: 'single-user', trusted: true, trustedUsers: ['root'], builders: '@/etc/nix/machines' });
  });

  it('trusted-users = root @admin alice: trusts a member of @admin, not bob alone', async () => {
    const config = fixture(`show-config-${v}-trusted-group.json`);
    expect((await detect(world({ daemon: true, user: 'bob', groups: ['staff', 'admin'], config }))).trusted).toBe(true);
    expect((await detect(world({ daemon: true, user: 'bob', groups: ['staff'], config }))).trusted).toBe(false);
  });

  it('NIX_REMOTE=daemon with a socket of its own is the daemon, whatever the default socket says', async () => {
    const detection = await detect(world({ daemon: false, user: 'alice', env: { NIX_REMOTE: 'daemon', NIX_DAEMON_SOCKET_PATH: '/tmp/elsewhere/socket' } }));
    expect(detection.mode).toBe('daemon');
  });

  it('NIX_REMOTE=local is no daemon, even with the default socket answering', async () => {
    const detection = await detect(world({ daemon: true, user: 'alice', env: { NIX_REMOTE: 'local' } }));
    expect(detection.mode).toBe('single-user');
    expect(detection.trusted).toBe(true);
  });

  it('a daemon that answers "trusted": false although nix.conf names the user: the daemon counts where this Nix can ask it', async () => {
    const config = fixture(`show-config-${v}-trusted-group.json`);
    const w = world({ daemon: true, user: 'alice', config, storeInfo: fixture('store-info-2.34-untrusted.json') });
    const detection = await detect(w);
    if (v === '2.34') {
      expect(w.ran?.map((argv) => argv.slice(3).join(' '))).toContain('store info --json');
      expect(detection.trusted).toBe(false);
      expect(detection.problems.find((problem) => problem.code === 'user-not-trusted')?.message).toContain('The nix-daemon does not trust your user "alice"');
      expect(detection.problems.find((problem) => problem.code === 'user-not-trusted')?.fix).toContain('sudo launchctl kickstart -k system/org.nixos.nix-daemon');
    } else {
      // 2.8 cannot ask about trust (only whether the daemon talks to this user at all, `store
      // ping`): nix.conf's trusted-users (the daemon's file too on a Mac) is all there is.
      expect(w.ran?.filter((argv) => argv.includes('store')).map((argv) => argv.slice(3).join(' '))).toEqual(['store ping']);
      expect(detection.trusted).toBe(true);
    }
  });
});
