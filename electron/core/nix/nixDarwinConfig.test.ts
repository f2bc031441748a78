import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { hostKeyBase64, machinesLine, sshAliasLines, type BuilderEndpoint } from './builderEndpoint.js';
import { nixDarwinConfig, nixIndentedString, nixString } from './nixDarwinConfig.js';
import { targetLayout } from './wiringTarget.js';

const vm: BuilderEndpoint = {
  alias: 'builder-bar-linux',
  port: 31022,
  user: 'builder',
  systems: ['aarch64-linux'],
  maxJobs: 4,
  speedFactor: 1,
  supportedFeatures: ['benchmark', 'big-parallel'],
  hostPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJBWcxb/Blaqt1auOtE+F8QUWrUotiC5qBJ+UuEWdVCb root@nixos',
};
const remote: BuilderEndpoint = {
  alias: 'builder-bar-big-box',
  hostName: 'big-box.example.org',
  protocol: 'ssh-ng',
  keyPath: '/Users/alice/.ssh/id_big_box',
  port: 2222,
  user: 'nix',
  systems: ['x86_64-linux', 'i686-linux'],
  maxJobs: 16,
  speedFactor: 4,
  supportedFeatures: [],
  hostPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl',
};
const system = targetLayout({ kind: 'system', determinate: false });

/** What Nix itself makes of the snippet: it must be an expression that evaluates to our values. */
async function evaluate(snippet: string): Promise<unknown> {
  const result = await execa('nix-instantiate', ['--eval', '--strict', '--json', '-E', snippet], { reject: false, env: { NIX_CONF_DIR: '/nonexistent' } });
  if (result.exitCode !== 0) throw new Error(`nix-instantiate refused the snippet:\n${result.stderr}\n${snippet}`);
  return JSON.parse(result.stdout) as unknown;
}

interface Evaluated {
  nix: {
    distributedBuilds: boolean;
    buildMachines: Array<Record<string, unknown>>;
    settings: Record<string, unknown>;
  };
  environment: { etc: Record<string, { text: string }> };
  programs: { ssh: { knownHosts: Record<string, { hostNames: string[]; publicKey: string }> } };
}

describe('nixDarwinConfig', () => {
  it("evaluates (real Nix) to nix-darwin's options holding the same values as the machines line and the ssh alias", async () => {
    const snippet = nixDarwinConfig({ builders: [vm, remote], layout: system, clientKeySource: '/Users/alice/Library/Application Support/Builder Bar/keys/client_ed25519' });
    const value = (await evaluate(snippet)) as Evaluated;
    expect(value.nix.distributedBuilds).toBe(true);
    expect(value.nix.settings).toEqual({ 'builders-use-substitutes': true });
    expect(value.nix.buildMachines).toEqual([
      {
        hostName: 'builder-bar-linux',
        protocol: 'ssh',
        sshUser: 'builder',
        sshKey: '/etc/nix/builder-bar_ed25519',
        systems: ['aarch64-linux'],
        maxJobs: 4,
        speedFactor: 1,
        supportedFeatures: ['benchmark', 'big-parallel'],
        publicHostKey: hostKeyBase64(vm),
      },
      {
        hostName: 'builder-bar-big-box',
        protocol: 'ssh-ng',
        sshUser: 'nix',
        sshKey: '/Users/alice/.ssh/id_big_box',
        systems: ['x86_64-linux', 'i686-linux'],
        maxJobs: 16,
        speedFactor: 4,
        supportedFeatures: [],
        publicHostKey: hostKeyBase64(remote),
      },
    ]);
    // The machines line's host-key field and nix-darwin's publicHostKey are one value.
    expect(machinesLine(vm, system.clientKey).split(' ')[7]).toBe(value.nix.buildMachines[0]!.publicHostKey);
    const alias = value.environment.etc['ssh/ssh_config.d/100-builder-bar.conf']!.text;
    expect(alias).toBe(`${[...sshAliasLines(vm, system.clientKey, null), ...sshAliasLines(remote, system.clientKey, null)].join('\n')}\n`);
    for (const line of ['  HostName 127.0.0.1', '  Port 31022', '  HostKeyAlias builder-bar-linux', '  IdentityFile /etc/nix/builder-bar_ed25519', '  StrictHostKeyChecking yes', '  ServerAliveInterval 30', '  HostName big-box.example.org', '  Port 2222', '  IdentityFile /Users/alice/.ssh/id_big_box']) {
      expect(alias.split('\n')).toContain(line);
    }
    expect(value.programs.ssh.knownHosts).toEqual({
      'builder-bar-linux': { hostNames: ['builder-bar-linux'], publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJBWcxb/Blaqt1auOtE+F8QUWrUotiC5qBJ+UuEWdVCb' },
      'builder-bar-big-box': { hostNames: ['builder-bar-big-box'], publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl' },
    });
    // Where the key must live, and the line that puts it there (a path with a space, quoted).
    expect(snippet).toContain("#   sudo install -m 0600 -o root -g wheel '/Users/alice/Library/Application Support/Builder Bar/keys/client_ed25519' /etc/nix/builder-bar_ed25519");
  });

  it('keeps every value literal through Nix: quotes, backslashes, ${...}, $$, \'\' and line breaks', async () => {
    const awkward = ['a"b', 'c\\d', '${builtins.currentTime}', "it's", "two '' quotes", '$${x}', "'${y}", "''${z}", 'end\\', '$', "'", 'tab\there'];
    // One Nix run for all of them: a list of every string both ways.
    const list = `[\n${awkward.flatMap((value) => [nixString(value), nixIndentedString([value, `  ${value}`], '  ')]).join('\n')}\n]`;
    expect(await evaluate(list)).toEqual(awkward.flatMap((value) => [value, `${value}\n  ${value}\n`]));
    expect(await evaluate(nixString('line\nbreak\r'))).toBe('line\nbreak\r');
    // A user or key path with the same characters stays literal inside the whole snippet too.
    const odd: BuilderEndpoint = { ...remote, user: "o'dd\"${user}", keyPath: "/Users/o'dd/${key}\\x" };
    const value = (await evaluate(nixDarwinConfig({ builders: [odd], layout: system, clientKeySource: null }))) as Evaluated;
    expect(value.nix.buildMachines[0]).toMatchObject({ sshUser: "o'dd\"${user}", sshKey: "/Users/o'dd/${key}\\x" });
    expect(value.environment.etc['ssh/ssh_config.d/100-builder-bar.conf']!.text).toContain("  User o'dd\"${user}\n  HostKeyAlias");
  });

  it("with Determinate Nix, uses its module's determinateNix.* options: nix-darwin ignores nix.* once that module sets nix.enable = false", async () => {
    const determinate = targetLayout({ kind: 'system', determinate: true });
    const snippet = nixDarwinConfig({ builders: [vm], layout: determinate, clientKeySource: null, determinate: true });
    const value = (await evaluate(snippet)) as Record<string, unknown> & { determinateNix: Evaluated['nix'] & { customSettings: Record<string, unknown> } };
    expect(value).not.toHaveProperty('nix');
    expect(value.determinateNix.distributedBuilds).toBe(true);
    expect(value.determinateNix.customSettings).toEqual({ 'builders-use-substitutes': true });
    expect(value.determinateNix.buildMachines).toEqual([expect.objectContaining({ hostName: 'builder-bar-linux', sshKey: '/etc/nix/builder-bar_ed25519', publicHostKey: hostKeyBase64(vm) })]);
    expect(value).toHaveProperty(['environment', 'etc', 'ssh/ssh_config.d/100-builder-bar.conf']);
  });

  it('for a config directory, the key goes into that directory and copying it needs no sudo', () => {
    const snippet = nixDarwinConfig({ builders: [vm], layout: targetLayout({ kind: 'confDir', dir: '/conf' }), clientKeySource: '/state/keys/client_ed25519' });
    expect(snippet).toContain('sshKey = "/conf/builder-bar_ed25519";');
    expect(snippet).toContain('#   install -m 0600 /state/keys/client_ed25519 /conf/builder-bar_ed25519');
  });
});
