import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { prepareStateDir } from '../../core/stateDir.js';
import { execa, type ResultPromise } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NixDetection } from '../../core/nix/detectNix.js';
import { nixHandlers } from '../../core/nix/nixHandlers.js';
import { gatedDetect, testDetection } from '../../core/nix/testing/gatedDetect.js';
import { statePaths } from '../../core/paths.js';
import { stoppedStatus, transportCore, type TransportCore } from '../testing/transportCore.js';
import type { CliIo } from './cliIo.js';
import { runNixCommand, type NixCommandOptions } from './nixCommand.js';
import { SocketDoor } from '../socket/socketDoor.js';

const here = path.dirname(fileURLToPath(import.meta.url));

async function snapshotDir(dir: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const name of (await fs.readdir(dir)).sort()) {
    const file = path.join(dir, name);
    result[name] = `${((await fs.stat(file)).mode & 0o7777).toString(8)} ${(await fs.readFile(file)).toString('base64')}`;
  }
  return result;
}

interface Recorder extends CliIo {
  stdout: string[];
  stderr: string[];
}

function recorder(): Recorder {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (line) => stdout.push(line), err: (line) => stderr.push(line), env: {}, signal: new AbortController().signal };
}

let root: string;
let stateDir: string;
let confDir: string;

beforeEach(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-nixcli-'));
  stateDir = path.join(root, 'state');
  confDir = path.join(root, 'conf');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('builder-bar nix', () => {
  it('prints its help from the command table: the four commands, then each one\'s options', async () => {
    const io = recorder();
    expect(await runNixCommand(['--help'], io)).toBe(0);
    const help = io.stdout.join('\n');
    for (const word of ['nix plan', 'nix apply', 'nix remove', 'nix verify']) expect(help).toContain(word);
    const apply = recorder();
    expect(await runNixCommand(['apply', '--help'], apply)).toBe(0);
    for (const word of ['--conf-dir DIR', 'NIX_SSHOPTS', '--json', 'one at a time']) expect(apply.stdout.join('\n')).toContain(word);
  });

  it('refuses an unknown command, a missing one, an empty --conf-dir and an option the command has not, with exit 2', async () => {
    const io = recorder();
    expect(await runNixCommand(['wire'], io)).toBe(2);
    expect(io.stderr[0]).toBe('builder-bar: "nix" needs one of: plan, apply, remove, verify.');
    expect(await runNixCommand([], recorder())).toBe(2);
    const empty = recorder();
    expect(await runNixCommand(['plan', '--conf-dir', ''], empty)).toBe(2);
    expect(empty.stderr[0]).toBe('builder-bar nix plan: --conf-dir needs a directory.');
    const removeIo = recorder();
    expect(await runNixCommand(['remove', '--conf-dir', '/tmp/x'], removeIo)).toBe(2);
    expect(removeIo.stderr[0]).toMatch(/^builder-bar nix remove: Unknown option/);
  });

  it('on Linux without --conf-dir refuses: system wiring is the macOS admin step', async () => {
    const io = recorder();
    expect(await runNixCommand(['plan', '--state-dir', stateDir], io, { platform: 'linux' })).toBe(2);
    expect(io.stderr.join('\n')).toContain('Wiring the system Nix configuration (/etc/nix) is the macOS admin step');
    expect(io.stderr.join('\n')).toContain('--conf-dir DIR');
  });

  it('plan writes nothing; apply writes and prints the environment; apply again writes nothing; remove deletes', async () => {
    const planIo = recorder();
    expect(await runNixCommand(['plan', '--state-dir', stateDir, '--conf-dir', confDir, '--json'], planIo, { platform: 'linux' })).toBe(0);
    const planned = JSON.parse(planIo.stdout.join('\n')) as { ok: boolean; plan: { files: Array<{ path: string; after: string; secret: boolean }> } };
    expect(planned.ok).toBe(true);
    expect(planned.plan.files.find((file) => file.secret)?.after).toBe('');
    await expect(fs.readdir(confDir)).rejects.toThrow();

    const applyIo = recorder();
    expect(await runNixCommand(['apply', '--state-dir', stateDir, '--conf-dir', confDir], applyIo, { platform: 'linux' })).toBe(0);
    expect(applyIo.stdout.join('\n')).toContain(`export NIX_CONF_DIR=${confDir}`);
    expect(applyIo.stdout.join('\n')).toContain(`export NIX_SSHOPTS='-F ${confDir}/ssh_config'`);
    expect((await fs.readdir(confDir)).sort()).toEqual(['builder-bar_ed25519', 'known_hosts', 'machines', 'nix.conf', 'ssh_config']);
    // The key Nix uses is this install's client key.
    expect(await fs.readFile(path.join(confDir, 'builder-bar_ed25519'), 'utf8')).toBe(await fs.readFile(path.join(stateDir, 'keys', 'client_ed25519'), 'utf8'));

    const again = recorder();
    expect(await runNixCommand(['apply', '--state-dir', stateDir, '--conf-dir', confDir], again, { platform: 'linux' })).toBe(0);
    expect(again.stdout[0]).toContain('is already wired; nothing written.');

    const removeIo = recorder();
    expect(await runNixCommand(['remove', '--state-dir', stateDir], removeIo, { platform: 'linux' })).toBe(0);
    expect(await fs.readdir(confDir)).toEqual([]);
  });

  it('plan says once that Nix could not print its configuration, as the problem that blocks it', async () => {
    const message = 'Nix did not print its configuration (`nix config show --json`).';
    const unreadable: NixDetection = {
      ...testDetection,
      problems: [{ code: 'config-unreadable', message, fix: 'Run `nix show-config` to see what Nix says.', blocking: true }],
    };
    const io = recorder();
    expect(await runNixCommand(['plan', '--state-dir', stateDir, '--conf-dir', confDir], io, { platform: 'linux', detect: async () => unreadable })).toBe(1);
    const printed = [...io.stdout, ...io.stderr].join('\n');
    expect(printed.split(message).length - 1).toBe(1);
    expect(io.stderr.join('\n')).toContain(`Problem: ${message}`);
  });
});

// Child processes and a socket: slow on a busy machine, never a speed test.
describe('one writer of the wiring per state dir', { timeout: 60_000 }, () => {
  const coreStub = { status: () => ({ ...stoppedStatus, state: 'ready' as const }), start: async () => ({ ...stoppedStatus, state: 'ready' as const }) };
  let door: SocketDoor | null = null;
  let holder: ResultPromise | null = null;
  afterEach(async () => {
    await door?.close();
    door = null;
    holder?.kill('SIGKILL');
    holder = null;
  });

  async function userConfDir(text: string): Promise<Record<string, string>> {
    await fs.mkdir(confDir, { recursive: true });
    await fs.writeFile(path.join(confDir, 'nix.conf'), text);
    await fs.chmod(path.join(confDir, 'nix.conf'), 0o640);
    return snapshotDir(confDir);
  }

  async function cli(argv: string[], options: NixCommandOptions = { platform: 'linux', detect: async () => testDetection }) {
    const io = recorder();
    const code = await runNixCommand([...argv, '--state-dir', stateDir], io, options);
    return { code, out: io.stdout, err: io.stderr };
  }

  /** A core for the state dir whose nix.apply and nix.remove are the real handlers. */
  async function startCore(detect: () => Promise<NixDetection>): Promise<TransportCore> {
    const handlers = nixHandlers({ paths: statePaths({ stateDir }), platform: 'linux', logs: { append: () => undefined }, builder: coreStub, detect });
    const core = transportCore(stateDir, () => ({ 'nix.apply': handlers['nix.apply'], 'nix.remove': handlers['nix.remove'] }));
    door = await SocketDoor.open({ core, socketPath: statePaths({ stateDir }).socketPath });
    return core;
  }

  /** Runs the real InstanceLock in another process (the same process would be its own owner). */
  async function lockChild(mode: 'hold' | 'try'): Promise<{ child: ResultPromise; report: { acquired: boolean; pid?: number; owner?: { pid: number } } }> {
    const bundle = path.join(root, 'lockHolderChild.mjs');
    if (!existsSync(bundle)) {
      await build({ entryPoints: [path.join(here, '..', 'testing', 'lockHolderChild.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: bundle, logLevel: 'silent',
        // Bundled CommonJS dependencies (execa's) require Node's built-ins at run time.
        banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" } });
    }
    const child = execa(process.execPath, [bundle, statePaths({ stateDir }).lockFile, mode], { reject: false, stdin: 'pipe' });
    const line = await new Promise<string>((resolve, reject) => {
      let text = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
      });
      child.then((result) => reject(new Error(`lock child exited early: ${String(result.stderr)}`)), reject);
    });
    return { child, report: JSON.parse(line) as { acquired: boolean; pid?: number; owner?: { pid: number } } };
  }

  it('beside a running core, apply and remove go through it one at a time, and print and exit as without one', async () => {
    const original = await userConfDir('# mine\nkeep-outputs = true\n# no newline at the end');
    const alone = { apply: await cli(['apply', '--conf-dir', confDir]), remove: await cli(['remove']) };
    expect(alone.apply.code).toBe(0);
    expect(alone.remove.code).toBe(0);
    expect(await snapshotDir(confDir)).toEqual(original);

    const gated = gatedDetect();
    const core = await startCore(gated.detect);
    const applying = cli(['apply', '--conf-dir', confDir]);
    await Promise.race([gated.inside, applying]);
    const removing = cli(['remove']);
    // Side by side, remove would now find nothing applied and apply would then wire Nix for good.
    // The time given is for that to happen; nothing below depends on it.
    await Promise.race([removing, new Promise((resolve) => setTimeout(resolve, 300))]);
    gated.open();
    const [applied, removed] = await Promise.all([applying, removing]);
    expect(core.received.map((request) => request.name)).toEqual(['nix.apply', 'nix.remove']);
    expect(applied).toEqual(alone.apply);
    expect(removed).toEqual(alone.remove);
    expect(await snapshotDir(confDir)).toEqual(original);

    // A refusal reads the same too: the message, the hint, exit 2.
    await fs.writeFile(path.join(confDir, 'nix.conf'), 'keep-outputs = true\nthis line is not a setting\n');
    const viaCore = await cli(['apply', '--conf-dir', confDir]);
    await door?.close();
    door = null;
    const local = await cli(['apply', '--conf-dir', confDir]);
    expect(viaCore.code).toBe(2);
    expect(viaCore).toEqual(local);
    expect(viaCore.err[0]).toContain('line 2 is not "key = value"');
  });

  it('with no core, a second apply or remove is refused while another process holds the state dir, naming it', async () => {
    const original = await userConfDir('keep-outputs = true\n');
    await prepareStateDir(stateDir); // as the holder (a core or a CLI) found it
    const { child, report } = await lockChild('hold');
    holder = child;
    expect(report.acquired).toBe(true);
    for (const action of [['apply', '--conf-dir', confDir], ['remove']]) {
      const refused = await cli(action);
      expect(refused.code, `${action[0]}: ${refused.err.join(" / ")}`).toBe(1);
      expect(refused.err[0]).toBe(`Error: Another Builder Bar process (pid ${report.pid}) holds ${stateDir}: a core starting, or another "builder-bar nix apply" or "nix remove". Nothing was changed.`);
      expect(refused.err[1]).toBe(`Hint: Wait for it to finish, then run this command again. If no Builder Bar process runs at all, delete ${path.join(stateDir, 'core.lock')} and run it again.`);
    }
    expect(await snapshotDir(confDir)).toEqual(original);
    child.stdin?.end();
    await child;
    holder = null;
    expect((await cli(['apply', '--conf-dir', confDir])).code).toBe(0);
  });

  it('with no core, apply holds the state dir while it writes: a core or another command starting meanwhile is refused', async () => {
    await userConfDir('keep-outputs = true\n');
    let meanwhile: { acquired: boolean; owner?: { pid: number } } | null = null;
    const gated = gatedDetect(testDetection, async () => {
      meanwhile = (await lockChild('try')).report;
    });
    gated.open();
    expect((await cli(['apply', '--conf-dir', confDir], { platform: 'linux', detect: gated.detect })).code).toBe(0);
    expect(meanwhile).toEqual({ acquired: false, owner: { pid: process.pid, startedAt: expect.any(Number), coreAnswers: false } });
    // Released when done.
    expect((await lockChild('try')).report.acquired).toBe(true);
  });
});
