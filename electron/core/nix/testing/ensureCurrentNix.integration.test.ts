/**
 * resources/setup/ensure-current-nix.mjs on bad input, in the ways that need neither the
 * network nor minutes of debootstrap: Debian's mirror out of reach, what a killed run left, a
 * user who is not root, a wrong argument. Each says what to do, prints no directory, and leaves
 * nothing that a later run could take for a usable root. (A full disk and a run killed inside
 * debootstrap were checked by hand; see the issue 10 report.)
 */
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../resources/setup/ensure-current-nix.mjs');
const unreachable = 'http://127.0.0.1:9/debian';

describe.runIf(process.platform === 'linux')('ensure-current-nix.mjs on bad input', () => {
  let cache: string;

  beforeEach(async () => {
    cache = await fs.mkdtemp(path.join(os.tmpdir(), 'bb-nix-roots-'));
  });

  afterEach(async () => {
    await fs.rm(cache, { recursive: true, force: true });
  });

  const setup = (args: string[], options: { user?: number } = {}) => {
    const env = { BUILDER_BAR_NIX_ROOTS: cache };
    return options.user === undefined
      ? execa(process.execPath, [script, ...args], { env, reject: false, stdin: 'ignore' })
      : execa('setpriv', ['--reuid', String(options.user), '--regid', String(options.user), '--clear-groups', '--', process.execPath, script, ...args], {
          env,
          reject: false,
          stdin: 'ignore',
        });
  };

  const roots = async () => (await fs.readdir(cache)).filter((name) => /^\d/.test(name) || name.startsWith('.build-'));

  it("says Debian's mirror is out of reach and what to do, and makes no root", async () => {
    const result = await setup(['--mirror', unreachable]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`cannot reach Debian's mirror ${unreachable}`);
    expect(result.stderr).toContain('Check the network');
    expect(await roots()).toEqual([]);
    expect(existsSync(path.join(cache, 'current.json'))).toBe(false);
  });

  it('removes what a killed run left (a half-made root, a root without its stamp, a stale lock) before anything else', async () => {
    await fs.mkdir(path.join(cache, '.build-2.34.8-4194000', 'root', 'proc'), { recursive: true });
    await fs.mkdir(path.join(cache, '2.99.0', 'root', 'usr', 'bin'), { recursive: true });
    await fs.writeFile(path.join(cache, '2.99.0', 'root', 'usr', 'bin', 'nix'), '');
    await fs.writeFile(path.join(cache, '.lock'), '4194001\n');
    const result = await setup(['--mirror', unreachable]);
    expect(result.stderr).toContain('left by a run that was stopped');
    expect(result.stderr).toContain('has no completion stamp');
    expect(result.stderr).not.toContain('waiting for another setup');
    expect(await roots()).toEqual([]);
    expect(existsSync(path.join(cache, '.lock'))).toBe(false);
  });

  it('tells a user who is not root how to make the root, and leaves nothing half-made', async () => {
    // Debian's answer as if just asked, so no network is needed to get to making the root.
    await fs.mkdir(path.join(cache, 'apt'));
    const answer = {
      at: new Date().toISOString(),
      mirror: 'http://deb.debian.org/debian',
      suites: ['sid', 'trixie'],
      found: [{ suite: 'sid', debianVersion: '9.9.9+dfsg-1', version: '9.9.9' }],
    };
    await fs.writeFile(path.join(cache, 'apt', 'answer.json'), JSON.stringify(answer));
    await execa('chown', ['-R', '65534:65534', cache]);
    const result = await setup([], { user: 65534 });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('needs root');
    expect(result.stderr).toContain('sudo node resources/setup/ensure-current-nix.mjs');
    expect(await roots()).toEqual([]);
  });

  it('refuses an unknown suite or a mirror that is not a URL, saying what it takes', async () => {
    const suite = await setup(['--suite', 'woody']);
    expect(suite.exitCode).toBe(1);
    expect(suite.stderr).toContain('unknown suite "woody"');
    expect(suite.stderr).toContain('sid, trixie');
    const mirror = await setup(['--mirror', 'ftp.debian.org']);
    expect(mirror.exitCode).toBe(1);
    expect(mirror.stderr).toContain('is not an http(s) URL');
    expect(await fs.readdir(cache)).toEqual([]);
  });
});
