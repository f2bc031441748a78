/**
 * Paths and bytes the wiring must not misread or mangle: a `#` in a path Nix reads from nix.conf
 * or a machines file (refused), a `%` in a path written into the ssh config (escaped as `%%`,
 * checked with the real OpenSSH), a user file that is not UTF-8 (refused, untouched), a plan
 * that carries a blocking Nix detection problem (apply refuses it), and the note on a builder
 * that comes from NIX_CONFIG (it replaces the wiring's line; nothing is added beside it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyWiring, removeWiring } from './applyWiring.js';
import { machinesPathProblem, sshAliasLines, sshConfigPath, sshConfigPathProblem } from './builderEndpoint.js';
import { detectNix, type DetectDeps } from './detectNix.js';
import { planWiring } from './planWiring.js';
import { nixVersions } from './testing/nixVersions.js';
import { testBuilder, TEST_CLIENT_KEY, wiringSandbox, type WiringSandbox } from './testing/wiringFixtures.js';
import { notUtf8 } from './utf8Text.js';
import { readWiringRecord } from './wiringRecord.js';
import { confDirProblem } from './wiringTarget.js';

const builder = testBuilder({ port: 41234, user: 'root' });

let sandbox: WiringSandbox;
beforeEach(async () => {
  sandbox = await wiringSandbox('bb-paths-');
});
afterEach(() => sandbox.remove());

const planFor = async (confDir: string, extra: Partial<Parameters<typeof planWiring>[0]> = {}) =>
  planWiring({ target: { kind: 'confDir', dir: confDir }, builder, clientPrivateKey: TEST_CLIENT_KEY, record: await readWiringRecord(sandbox.stateDir), env: {}, ...extra });

const hostNix = nixVersions().find((nix) => nix.root === null) ?? null;
const sshFound = spawnSync('ssh', ['-V']).status === 0;

describe('a "#" in a path Nix reads', () => {
  it.skipIf(hostNix === null)('is what Nix cuts a builders line at (the reason for the refusal)', async () => {
    const dir = path.join(sandbox.root, 'hash#x');
    await fs.mkdir(dir);
    await fs.writeFile(path.join(dir, 'nix.conf'), `builders = @${dir}/machines\n`);
    const out = execFileSync(path.join(hostNix!.binDir, 'nix'), ['--extra-experimental-features', 'nix-command', 'show-config'], {
      env: { PATH: process.env.PATH, HOME: sandbox.root, NIX_CONF_DIR: dir, NIX_USER_CONF_FILES: '' },
      encoding: 'utf8',
    });
    expect(out).toMatch(new RegExp(`^builders = @${sandbox.root}/hash$`, 'm'));
  });

  it('is refused for the config directory at plan and apply, saying why and what to do', async () => {
    const dir = path.join(sandbox.root, 'hash#x');
    expect(confDirProblem(dir)).toMatch(/contains "#", which starts a comment in nix\.conf and in a machines file.*Choose a path without "#"/);
    const planned = await planFor(dir);
    expect(planned.files).toEqual([]);
    expect(planned.problems[0]!.message).toContain('contains "#"');
    await expect(applyWiring(planned, sandbox.stateDir)).rejects.toThrow(/contains "#"/);
    expect(existsSync(dir)).toBe(false);
  });

  it("is refused in a remote builder's key path, which the machines line carries", async () => {
    expect(machinesPathProblem('/keys/a#b')).toMatch(/starts a comment/);
    const remote = testBuilder({ alias: 'builder-bar-far', keyPath: '/keys/a#b', port: 22, user: 'nix' });
    const planned = await planFor(sandbox.confDir, { remotes: [remote] });
    expect(planned.files).toEqual([]);
    expect(planned.problems.map((problem) => problem.message)).toEqual([expect.stringMatching(/^The key of builder-bar-far, \/keys\/a#b, contains "#".*Move the key/)]);
  });
});

describe('a "%" in a path written into the ssh config', () => {
  it('is doubled (ssh_config TOKENS: "%%" is a literal "%"); "${" and quotes are refused', () => {
    expect(sshConfigPath('/tmp/a%h/key')).toBe('/tmp/a%%h/key');
    expect(sshConfigPathProblem('/tmp/${HOME}/key')).toMatch(/environment variable/);
    expect(confDirProblem('/tmp/${HOME}')).toMatch(/environment variable/);
    expect(sshAliasLines(builder, '/s%d/key', '/c%d/known_hosts')).toEqual(expect.arrayContaining(['  IdentityFile /s%%d/key', '  UserKnownHostsFile /c%%d/known_hosts']));
  });

  it.skipIf(!sshFound)('reaches real OpenSSH as the literal path', async () => {
    const dir = path.join(sandbox.root, 'c%h%%d');
    const planned = await planFor(dir);
    expect(planned.problems).toEqual([]);
    await applyWiring(planned, sandbox.stateDir);
    const config = path.join(dir, 'ssh_config');
    const resolved = execFileSync('ssh', ['-G', '-F', config, builder.alias], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(resolved).toContain(`userknownhostsfile ${dir}/known_hosts\n`);
    // ssh -G prints IdentityFile before expanding it: the connection's debug output shows the file ssh loads.
    const tried = spawnSync('ssh', ['-v', '-T', '-F', config, '-o', 'ProxyCommand=true', '-o', 'BatchMode=yes', builder.alias, 'true'], { encoding: 'utf8', timeout: 20_000 });
    expect(tried.stderr).toContain(`identity file ${dir}/builder-bar_ed25519 `);
  });
});

describe('a user file that is not UTF-8', () => {
  const latin1 = Buffer.from('# J\xfcrgen config\nmax-jobs = 2\n', 'latin1');

  it('finds the line of the first bad byte', () => {
    expect(notUtf8(Buffer.from('ok\nstill ok ü\n'))).toBeNull();
    expect(notUtf8(latin1)).toEqual({ lineNumber: 1, byte: 0xfc });
    expect(notUtf8(Buffer.concat([Buffer.from('a\nb\n'), Buffer.from([0x63, 0xff, 0x0a])]))).toEqual({ lineNumber: 3, byte: 0xff });
  });

  it('names the Latin-1 letter itself when it looks like the start of a longer UTF-8 character (é, à, ß), not the byte after it', () => {
    expect(notUtf8(Buffer.from('# caf\xe9\nmax-jobs = 2\n', 'latin1'))).toEqual({ lineNumber: 1, byte: 0xe9 });
    expect(notUtf8(Buffer.concat([Buffer.from('ok ü\n'), Buffer.from('# Stra\xdfe 1\n', 'latin1')]))).toEqual({ lineNumber: 2, byte: 0xdf });
    expect(notUtf8(Buffer.from('# voil\xe0', 'latin1'))).toEqual({ lineNumber: 1, byte: 0xe0 });
  });

  it('is refused before anything is written, naming file and line, and keeps every byte', async () => {
    const nixConf = path.join(sandbox.confDir, 'nix.conf');
    await fs.writeFile(nixConf, latin1);
    const planned = await planFor(sandbox.confDir);
    expect(planned.problems).toEqual([
      { path: nixConf, lineNumber: 1, message: expect.stringMatching(/line 1 is not valid UTF-8 \(byte 0xFC\).*iconv -f LATIN1 -t UTF-8/) },
    ]);
    expect(planned.files.map((file) => file.role)).not.toContain('nix.conf');
    await expect(applyWiring(planned, sandbox.stateDir)).rejects.toThrow(/not valid UTF-8/);
    expect(await fs.readFile(nixConf)).toEqual(latin1);
    expect(existsSync(path.join(sandbox.confDir, 'machines'))).toBe(false);
  });

  it('is refused in the machines file and the ssh config too', async () => {
    for (const name of ['machines', 'ssh_config']) {
      await fs.writeFile(path.join(sandbox.confDir, name), latin1);
      const planned = await planFor(sandbox.confDir);
      expect(planned.problems.map((problem) => problem.path)).toEqual([path.join(sandbox.confDir, name)]);
      await fs.rm(path.join(sandbox.confDir, name));
    }
  });

  it('is refused in an included nix.conf, whose builders the block would restate', async () => {
    await fs.writeFile(path.join(sandbox.confDir, 'nix.conf'), 'include inc.conf\n');
    await fs.writeFile(path.join(sandbox.confDir, 'inc.conf'), Buffer.from('builders = ssh://h\xfcst x86_64-linux\n', 'latin1'));
    const planned = await planFor(sandbox.confDir);
    expect(planned.problems.map((problem) => [problem.path, problem.lineNumber])).toEqual([[path.join(sandbox.confDir, 'inc.conf'), 1]]);
    expect(planned.problems[0]!.message).toMatch(/could not restate them unchanged/);
  });

  it('made after apply, is left alone by remove, with a note', async () => {
    await applyWiring(await planFor(sandbox.confDir), sandbox.stateDir);
    const sshConfig = path.join(sandbox.confDir, 'ssh_config');
    const edited = Buffer.concat([latin1, await fs.readFile(sshConfig)]);
    await fs.writeFile(sshConfig, edited);
    const removed = await removeWiring(sandbox.stateDir);
    expect(removed.notes.join('\n')).toMatch(/ssh_config line 1 is not valid UTF-8 \(byte 0xFC\).*left as it is/);
    expect(await fs.readFile(sshConfig)).toEqual(edited);
  });
});

describe('a Nix detection problem that blocks', () => {
  it('is a problem of the plan, so apply refuses it; a note is not', async () => {
    const message = 'Nix did not print its configuration (`nix config show --json`).';
    const planned = await planFor(sandbox.confDir, { nixProblems: [{ message, fix: 'Run show-config.' }] });
    expect(planned.problems).toEqual([{ path: '', lineNumber: null, message: expect.stringContaining(message) }]);
    expect(planned.summary).toMatch(/^Nothing can be applied/);
    await expect(applyWiring(planned, sandbox.stateDir)).rejects.toThrow(/did not print its configuration/);
    expect(existsSync(path.join(sandbox.confDir, 'nix.conf'))).toBe(false);
  });
});

describe('a builder from NIX_CONFIG', () => {
  it('is not said to be kept beside the wiring: its line replaces the wiring\'s', async () => {
    const env = { NIX_CONFIG: 'builders = ssh://env x86_64-linux', HOME: sandbox.root, XDG_CONFIG_DIRS: path.join(sandbox.root, 'xdg') };
    const config = JSON.stringify({ builders: { value: 'ssh://env x86_64-linux' }, 'trusted-users': { value: ['root'] } });
    const deps: DetectDeps = {
      user: 'alice',
      platform: 'linux',
      env,
      run: async (_command, args) => (args.includes('show-config') ? { exitCode: 0, stdout: config, stderr: '' } : { exitCode: 1, stdout: '', stderr: '' }),
      exists: async () => false,
      readFile: async () => null,
      unixSocketAnswers: async () => false,
      portListened: async () => false,
      groups: async () => [],
    };
    const nix = { found: true as const, installation: { programs: { nix: '/nix/bin/nix' }, version: '2.8.0', determinate: false, shadowed: [] } };
    const detection = await detectNix(deps, { nix: nix as never });
    const other = detection.problems.find((problem) => problem.code === 'other-builder')!;
    expect(other.fix).toMatch(/comes from NIX_CONFIG line 1, which Nix reads after nix\.conf: that builders line replaces the one Builder Bar writes/);
    expect(other.fix).not.toMatch(/beside yours/);
    const planned = await planFor(sandbox.confDir, { env });
    expect(planned.summary).toMatch(/NIX_CONFIG line 1 sets builders = ssh:\/\/env x86_64-linux; Nix reads it after .*instead of the wiring's/);
  });
});
