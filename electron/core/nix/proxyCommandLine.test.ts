import { describe, expect, it } from 'vitest';
import { sshAliasLines, type BuilderEndpoint } from './builderEndpoint.js';
import { proxyCommand, proxyCommandLine, rootRunProblems } from './proxyCommandLine.js';

const stateDir = "/Users/ann/Library/Application Support/Builder Bar";

describe('proxyCommand', () => {
  it('runs the CLI with the state dir and the user to become, under Node, Electron as Node, or the packaged app itself', () => {
    expect(proxyCommand({ runtime: { kind: 'node', execPath: '/usr/local/bin/node', script: '/opt/bb/out/electron/cli/bin.js' }, stateDir, uid: 501 })).toEqual({
      argv: ['/usr/local/bin/node', '/opt/bb/out/electron/cli/bin.js', `--state-dir=${stateDir}`, 'proxy', '--uid', '501'],
      code: ['/usr/local/bin/node', '/opt/bb/out/electron/cli/bin.js'],
    });
    const electron = '/opt/bb/node_modules/electron/dist/electron';
    expect(proxyCommand({ runtime: { kind: 'electron-as-node', execPath: electron, script: '/x/bin.js' }, stateDir, uid: null }).argv).toEqual([
      '/usr/bin/env', 'ELECTRON_RUN_AS_NODE=1', electron, '/x/bin.js', `--state-dir=${stateDir}`, 'proxy',
    ]);
    // The packaged app's runAsNode fuse is off: its executable is the CLI (main/cliMode.ts), and
    // it alone is what root would run for the system target.
    const app = '/Applications/Builder Bar.app/Contents/MacOS/Builder Bar';
    expect(proxyCommand({ runtime: { kind: 'app', execPath: app }, stateDir, uid: 501 })).toEqual({
      argv: [app, `--state-dir=${stateDir}`, 'proxy', '--uid', '501'],
      code: [app],
    });
  });

  it("quotes every word for ssh's /bin/sh and doubles % for ssh's tokens; refuses a line break", () => {
    const line = proxyCommandLine({ argv: ['/n', "/it's/bin.js", '--state-dir=/a b/100%', 'proxy'], code: [] });
    expect(line).toBe(`'/n' '/it'\\''s/bin.js' '--state-dir=/a b/100%%' 'proxy'`);
    expect(() => proxyCommandLine({ argv: ['/n', '/a\nHost evil'], code: [] })).toThrow(/control character/);
  });

  it('goes into the alias as its ProxyCommand, with the host key still pinned', () => {
    const endpoint: BuilderEndpoint = {
      alias: 'builder-bar-linux', port: 31022, user: 'builder', systems: ['x86_64-linux'], maxJobs: 1, speedFactor: 1, supportedFeatures: [],
      hostPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKGVMmnXRUP3XwRX0g4nR5wKA5S6oTnbQ3O2xJd8vYl2 k',
      proxyCommand: { argv: ['/usr/bin/node', '/bb/bin.js', '--state-dir=/s', 'proxy'], code: [] },
    };
    const lines = sshAliasLines(endpoint, '/k', '/kh');
    expect(lines).toContain(`  ProxyCommand '/usr/bin/node' '/bb/bin.js' '--state-dir=/s' 'proxy'`);
    expect(lines).toContain('  StrictHostKeyChecking yes');
    expect(sshAliasLines({ ...endpoint, proxyCommand: undefined }, '/k', '/kh').some((line) => line.includes('ProxyCommand'))).toBe(false);
  });
});

describe('rootRunProblems', () => {
  const tree: Record<string, { uid: number; mode: number }> = {
    '/': { uid: 0, mode: 0o40755 },
    '/Applications': { uid: 0, mode: 0o41775 },
    '/opt': { uid: 0, mode: 0o40755 },
    '/opt/bb': { uid: 0, mode: 0o40755 },
    '/opt/bb/bin.js': { uid: 0, mode: 0o100644 },
    '/usr': { uid: 0, mode: 0o40755 },
    '/usr/bin': { uid: 0, mode: 0o40755 },
    '/usr/bin/node': { uid: 0, mode: 0o100755 },
    '/Users': { uid: 0, mode: 0o40755 },
    '/Users/ann': { uid: 501, mode: 0o40750 },
    '/Users/ann/bb.js': { uid: 501, mode: 0o100644 },
  };
  const stat = async (file: string) => {
    const info = tree[file];
    if (!info) throw new Error('ENOENT');
    return info;
  };

  it('accepts files root owns in directories only root may change', async () => {
    expect(await rootRunProblems(['/usr/bin/node', '/opt/bb/bin.js'], stat)).toEqual([]);
  });

  it('follows a symbolic link: the file it leads to must be root\'s too, in root\'s directories', async () => {
    const links: Record<string, string> = { '/usr/local/bin/node': '/Users/ann/homebrew/node', '/usr/bin/nodejs': '/usr/bin/node' };
    const realpath = async (file: string) => links[file] ?? file;
    const linked: Record<string, { uid: number; mode: number }> = { ...tree, '/usr/local': { uid: 0, mode: 0o40755 }, '/usr/local/bin': { uid: 0, mode: 0o40755 }, '/usr/local/bin/node': { uid: 0, mode: 0o100755 }, '/Users/ann/homebrew': { uid: 501, mode: 0o40755 }, '/Users/ann/homebrew/node': { uid: 0, mode: 0o100755 }, '/usr/bin/nodejs': { uid: 0, mode: 0o100755 } };
    const statLinked = async (file: string) => {
      const info = linked[file];
      if (!info) throw new Error(`ENOENT ${file}`);
      return info;
    };
    expect(await rootRunProblems(['/usr/local/bin/node'], statLinked, realpath)).toEqual([
      '/Users/ann/homebrew is not owned by root (uid 501).',
      '/Users/ann is not owned by root (uid 501).',
    ]);
    expect(await rootRunProblems(['/usr/bin/nodejs'], statLinked, realpath)).toEqual([]);
  });

  it("names a file in the user's home, a group-writable directory and a missing file", async () => {
    expect(await rootRunProblems(['/usr/bin/node', '/Users/ann/bb.js'], stat)).toEqual([
      '/Users/ann/bb.js is not owned by root (uid 501).',
      '/Users/ann is not owned by root (uid 501).',
    ]);
    expect(await rootRunProblems(['/Applications'], stat)).toEqual(['/Applications is writable by group or others (mode 1775).']);
    expect(await rootRunProblems(['/opt/gone'], stat)).toEqual(['/opt/gone cannot be read.']);
  });
});
