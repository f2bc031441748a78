import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BuilderBarError } from '../errors.js';
import { applyWiring, removeWiring } from './applyWiring.js';
import type { BuilderEndpoint } from './builderEndpoint.js';
import { BLOCK_BEGIN, BLOCK_END } from './markedBlock.js';
import { buildersValue, planWiring, publicPlan } from './planWiring.js';
import { readWiringRecord } from './wiringRecord.js';
import type { WiringTarget } from './wiringTarget.js';
import { testBuilder, TEST_CLIENT_KEY, wiringSandbox, type WiringSandbox } from './testing/wiringFixtures.js';

const builder = testBuilder({ port: 41234, user: 'root' });
const clientPrivateKey = TEST_CLIENT_KEY;

let sandbox: WiringSandbox;
let root: string;
let stateDir: string;
let confDir: string;
let target: WiringTarget;

beforeEach(async () => {
  sandbox = await wiringSandbox('bb-plan-');
  ({ root, stateDir, confDir } = sandbox);
  target = { kind: 'confDir', dir: confDir };
});
afterEach(() => sandbox.remove());

const plan = async (input: Partial<{ builder: BuilderEndpoint; target: WiringTarget }> = {}) =>
  planWiring({ target: input.target ?? target, builder: input.builder ?? builder, clientPrivateKey, record: await readWiringRecord(stateDir) });

async function writeUserFile(name: string, text: string, mode: number): Promise<string> {
  const file = path.join(confDir, name);
  await fs.writeFile(file, text);
  await fs.chmod(file, mode);
  return file;
}

describe('remote builders', () => {
  it('puts each remote builder in the machines entry behind its own alias, with its key and pinned host key', async () => {
    const remote: BuilderEndpoint = {
      ...builder,
      alias: 'builder-bar-big-box',
      hostName: 'big-box.example.org',
      protocol: 'ssh-ng',
      keyPath: '/home/me/.ssh/id_big_box',
      port: 2222,
      user: 'nix',
      systems: ['x86_64-linux', 'aarch64-linux'],
      maxJobs: 8,
      speedFactor: 4,
      supportedFeatures: ['big-parallel'],
    };
    const planned = await planWiring({ target, builder, remotes: [remote], clientPrivateKey, record: null });
    const byRole = (role: string) => planned.files.find((file) => file.role === role)!.after;
    const machines = byRole('machines');
    expect(machines).toContain(`ssh://builder-bar-linux x86_64-linux ${confDir}/builder-bar_ed25519 1 1 - - `);
    expect(machines).toContain('ssh-ng://builder-bar-big-box x86_64-linux,aarch64-linux /home/me/.ssh/id_big_box 8 4 big-parallel - ');
    const sshConfig = byRole('ssh_config');
    expect(sshConfig).toMatch(/Host builder-bar-big-box\n  HostName big-box\.example\.org\n  Port 2222\n  User nix\n  HostKeyAlias builder-bar-big-box\n  IdentityFile \/home\/me\/\.ssh\/id_big_box/);
    expect(sshConfig).toMatch(/Host builder-bar-linux\n  HostName 127\.0\.0\.1/);
    expect(byRole('known_hosts')).toContain('builder-bar-big-box ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJBWcxb');
  });
});

describe('buildersValue', () => {
  it('keeps the user\'s entries and appends our machines file once, joined by a bare ";" (Nix 2.8 does not trim after "; ")', () => {
    expect(buildersValue('ssh://a x86_64-linux ; @/etc/nix/machines', '@/etc/nix/machines', '/etc/nix/builder-bar-machines')).toBe(
      'ssh://a x86_64-linux;@/etc/nix/machines;@/etc/nix/builder-bar-machines',
    );
    expect(buildersValue(null, '@/etc/nix/machines', '/ours')).toBe('@/etc/nix/machines;@/ours');
    expect(buildersValue('', '@/etc/nix/machines', '/ours')).toBe('@/ours');
    expect(buildersValue('@/ours', '@/x', '/ours')).toBe('@/ours');
  });
  it('the issue\'s line: no entry after ours starts with a space', () => {
    const value = buildersValue('ssh://me@far-away x86_64-linux - 1 1', '@/conf/machines', '/conf/machines');
    expect(value).toBe('ssh://me@far-away x86_64-linux - 1 1;@/conf/machines');
    // Nix 2.8's split: on "\n" and ";", no trim; an entry must not start with whitespace.
    expect(value.split(/[\n;]/).filter((entry) => /^\s/.test(entry))).toEqual([]);
  });
});

describe('planWiring into a config directory', () => {
  it('creates five files with our modes, sets no substituters, and hides the private key', async () => {
    const planned = await plan();
    expect(planned.problems).toEqual([]);
    expect(planned.files.map((file) => [path.basename(file.path), file.change, file.mode.toString(8)])).toEqual([
      ['nix.conf', 'create', '644'],
      ['machines', 'create', '644'],
      ['ssh_config', 'create', '644'],
      ['known_hosts', 'create', '644'],
      ['builder-bar_ed25519', 'create', '600'],
    ]);
    const nixConf = planned.files[0]!.after;
    expect(nixConf).toBe(`${BLOCK_BEGIN}\nbuilders = @${confDir}/machines\nbuilders-use-substitutes = true\n${BLOCK_END}\n`);
    expect(nixConf).not.toContain('substituters =');
    expect(planned.files[1]!.after).toContain(`ssh://builder-bar-linux x86_64-linux ${confDir}/builder-bar_ed25519 1 1 - - `);
    expect(planned.files[4]!.diff).not.toContain('not-a-real-key');
    expect(publicPlan(planned).files[4]!.after).toBe('');
    // Planning writes nothing.
    expect(await fs.readdir(confDir)).toEqual([]);
  });

  it('keeps a user\'s builders line untouched and restates it inside our block', async () => {
    await writeUserFile('nix.conf', 'builders = ssh://mac-mini aarch64-darwin\nmax-jobs = 2\n', 0o644);
    const planned = await plan();
    const nixConf = planned.files[0]!;
    expect(nixConf.change).toBe('update');
    expect(nixConf.after.startsWith('builders = ssh://mac-mini aarch64-darwin\nmax-jobs = 2\n')).toBe(true);
    expect(nixConf.after).toContain(`builders = ssh://mac-mini aarch64-darwin;@${confDir}/machines\n`);
    expect(nixConf.diff).toContain(`+builders = ssh://mac-mini aarch64-darwin;@${confDir}/machines`);
    expect(nixConf.diff).not.toContain('-builders');
  });

  it('reports a malformed nix.conf with its line number, plans nothing for it, and apply refuses', async () => {
    const file = await writeUserFile('nix.conf', 'max-jobs = 2\nexperimental features nix-command\n', 0o644);
    const planned = await plan();
    expect(planned.problems).toHaveLength(1);
    expect(planned.problems[0]).toMatchObject({ path: file, lineNumber: 2 });
    expect(planned.problems[0]!.message).toContain('line 2');
    expect(planned.files.map((entry) => entry.role)).not.toContain('nix.conf');
    const error = (await applyWiring(planned, stateDir).catch((caught: unknown) => caught)) as BuilderBarError;
    expect(error).toBeInstanceOf(BuilderBarError);
    expect(await fs.readdir(confDir)).toEqual(['nix.conf']);
    expect(await fs.readFile(file, 'utf8')).toBe('max-jobs = 2\nexperimental features nix-command\n');
  });

  it('refuses to overwrite a key file that is not ours', async () => {
    await writeUserFile('builder-bar_ed25519', 'someone else\'s key\n', 0o600);
    const planned = await plan();
    expect(planned.problems.map((problem) => problem.message).join()).toContain('is not Builder Bar\'s key');
  });

  it('refuses a conf dir with whitespace (NIX_SSHOPTS is split on it)', async () => {
    const planned = await plan({ target: { kind: 'confDir', dir: path.join(root, 'with space') } });
    expect(planned.problems[0]?.message).toContain('whitespace');
  });

  it('refuses a conf dir that is a file, saying so, instead of failing with ENOTDIR', async () => {
    const file = path.join(root, 'a-file');
    await fs.writeFile(file, 'mine\n');
    const planned = await plan({ target: { kind: 'confDir', dir: file } });
    expect(planned.files).toEqual([]);
    expect(planned.problems[0]?.message).toContain('is not a directory');
    expect(await fs.readFile(file, 'utf8')).toBe('mine\n');
  });

  it('writes Determinate Nix\'s settings to nix.custom.conf, never nix.conf', async () => {
    const planned = await plan({ target: { kind: 'system', determinate: true } });
    expect(planned.files.map((file) => file.path)).toContain('/etc/nix/nix.custom.conf');
    expect(planned.files.map((file) => file.path)).not.toContain('/etc/nix/nix.conf');
    expect(planned.environment).toEqual([]);
  });
});

describe('applyWiring and removeWiring', () => {
  it('restores an edited file byte for byte with its mode and deletes the files it created', async () => {
    const original = 'keep-outputs = true\n# no newline at the end';
    const file = await writeUserFile('nix.conf', original, 0o640);
    await applyWiring(await plan(), stateDir);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o640);
    expect(await fs.readFile(file, 'utf8')).toContain('builders = ');
    const record = await readWiringRecord(stateDir);
    expect(record?.files.map((entry) => [path.basename(entry.path), entry.createdByUs])).toContainEqual(['nix.conf', false]);

    const removed = await removeWiring(stateDir);
    expect(removed.restored).toEqual([file]);
    expect(removed.deleted).toHaveLength(4);
    expect(await fs.readFile(file, 'utf8')).toBe(original);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o640);
    expect(await fs.readdir(confDir)).toEqual(['nix.conf']);
    expect(await fs.readdir(stateDir)).toEqual([]);
  });

  it('a second apply with a new port rewrites our lines but remove still restores the first original', async () => {
    const original = 'max-jobs = 3\n';
    const sshConfig = await writeUserFile('ssh_config', 'Host *\n  ForwardAgent no\n', 0o600);
    const file = await writeUserFile('nix.conf', original, 0o644);
    await applyWiring(await plan(), stateDir);
    const moved = await plan({ builder: { ...builder, port: 45678 } });
    expect(moved.files.filter((entry) => entry.change !== 'none').map((entry) => path.basename(entry.path))).toEqual(['ssh_config']);
    await applyWiring(moved, stateDir);
    expect(await fs.readFile(sshConfig, 'utf8')).toContain('Port 45678');
    await removeWiring(stateDir);
    expect(await fs.readFile(file, 'utf8')).toBe(original);
    expect(await fs.readFile(sshConfig, 'utf8')).toBe('Host *\n  ForwardAgent no\n');
    expect((await fs.stat(sshConfig)).mode & 0o777).toBe(0o600);
  });

  it('when the user edited a file after apply, remove takes out only our block and keeps their edit', async () => {
    const file = await writeUserFile('nix.conf', 'max-jobs = 3\n', 0o644);
    await applyWiring(await plan(), stateDir);
    await fs.appendFile(file, 'cores = 2\n');
    const removed = await removeWiring(stateDir);
    expect(removed.blockRemoved).toEqual([file]);
    expect(await fs.readFile(file, 'utf8')).toBe('max-jobs = 3\ncores = 2\n');
    expect(removed.notes[0]).toContain('only the builder-bar block was removed');
  });

  it('refuses a plan for another target while one is applied', async () => {
    await applyWiring(await plan(), stateDir);
    const other = await plan({ target: { kind: 'confDir', dir: path.join(root, 'other') } });
    expect(other.problems[0]?.message).toContain('remove it there first');
  });

  it('refuses to write the system target from this process (that is the admin step)', async () => {
    const planned = await plan({ target: { kind: 'system', determinate: false } });
    const error = (await applyWiring(planned, stateDir).catch((caught: unknown) => caught)) as BuilderBarError;
    expect(error.code).toBe('not-supported');
  });

  it('remove with nothing applied says so and touches nothing', async () => {
    const removed = await removeWiring(stateDir);
    expect(removed.notes).toEqual(['Builder Bar has not wired Nix from this state dir; nothing to remove.']);
  });
});

describe('on demand: the ProxyCommand root would run', () => {
  it("refuses the system target when the CLI lies where others may change it, and names the path; a conf dir is the user's own ssh", async () => {
    const script = path.join(root, 'bin.js');
    await fs.writeFile(script, '');
    const onDemand: BuilderEndpoint = { ...builder, proxyCommand: { argv: [process.execPath, script, 'proxy'], code: [process.execPath, script] } };
    const system = await plan({ builder: onDemand, target: { kind: 'system', determinate: false } });
    expect(system.problems.map((problem) => problem.message)).toContainEqual(expect.stringMatching(/^On demand, root's nix-daemon would run Builder Bar's CLI as its ssh ProxyCommand, but \/\S* is (not owned by root|writable by group or others) .*Install Builder Bar where only root can change it/));
    const confDirPlan = await plan({ builder: onDemand });
    expect(confDirPlan.problems).toEqual([]);
    expect(confDirPlan.files.find((file) => file.role === 'ssh_config')?.after).toContain(`  ProxyCommand '${process.execPath}' '${script}' 'proxy'`);
  });
});
