import { mkdtempSync, rmSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NixTargetInputSchema, type Status } from '../../ipc/contract.js';
import { initialStatus } from '../../ipc/initialStatus.js';
import { BuilderBarError } from '../errors.js';
import { statePaths } from '../paths.js';
import type { DetectOptions, NixDetection } from './detectNix.js';
import { nixHandlers, type BuilderStarter } from './nixHandlers.js';
import { gatedDetect } from './testing/gatedDetect.js';

let root: string;
const detection: NixDetection = {
  found: true, binary: 'nix', version: '2.18.1', mode: 'single-user', user: 'me', trustedUsers: [], trusted: true,
  determinate: false, builders: '', machines: [], otherBuilders: 0, problems: [],
};
const status = (state: Status['state'], extra: Partial<Status> = {}): Status => ({ ...initialStatus('linux-test', 1), state, detail: state, ...extra });

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-nix-handlers-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function handlers(builder: BuilderStarter, lines: string[] = [], detect: (options: DetectOptions) => Promise<NixDetection> = async () => detection) {
  return nixHandlers({
    paths: statePaths({ stateDir: root }),
    platform: 'linux',
    logs: { append: (source, _level, text) => lines.push(source === 'nix-wiring' ? `[nix-wiring] ${text}` : text) },
    builder,
    detect,
  });
}

async function snapshotDir(dir: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const name of (await fs.readdir(dir)).sort()) {
    const file = path.join(dir, name);
    result[name] = `${((await fs.stat(file)).mode & 0o7777).toString(8)} ${(await fs.readFile(file)).toString('base64')}`;
  }
  return result;
}

describe('nix.* input', () => {
  it('takes an absolute conf dir without spaces and refuses the rest', () => {
    expect(NixTargetInputSchema.safeParse({ confDir: '/home/me/nixconf' }).success).toBe(true);
    expect(NixTargetInputSchema.safeParse({}).success).toBe(true);
    for (const confDir of ['relative/dir', '-rf', '--store=/x', '/with space', '/tab\there', '']) {
      expect(NixTargetInputSchema.safeParse({ confDir }).success, confDir).toBe(false);
    }
    expect(NixTargetInputSchema.safeParse({ confDir: '/x', extra: 1 }).success).toBe(false);
  });
});

describe('nix.verify', () => {
  it('refuses the system target off macOS before it boots anything', async () => {
    let starts = 0;
    const h = handlers({ status: () => status('stopped'), start: async () => { starts += 1; return status('ready'); } });
    await expect(h['nix.verify']({})).rejects.toMatchObject({ code: 'not-supported' });
    expect(starts).toBe(0);
  });

  it('starts a stopped builder and, when it cannot come up, says so as builder-not-ready with the supervisor\'s reason', async () => {
    const lines: string[] = [];
    const starts: Array<{ wait?: boolean }> = [];
    const h = handlers({
      status: () => status('stopped'),
      start: async (options) => {
        starts.push(options);
        return status('error', { error: { message: 'QEMU exited with code 1', hint: 'Install qemu-system-x86', exitCode: 1, signal: null, consoleTail: ['panic'], at: 2 } });
      },
    }, lines);
    const result = await h['nix.verify']({ confDir: path.join(root, 'conf') });
    expect(starts).toEqual([{ wait: true }]);
    expect(result).toMatchObject({
      ok: false,
      failure: { cause: 'builder-not-ready', message: expect.stringContaining('QEMU exited with code 1'), fix: 'Install qemu-system-x86', stderrTail: ['panic'] },
    });
    expect(lines).toContain('Verify: starting the builder first and waiting until it is ready.');
  });

  it('turns a refused start (port in use) into builder-not-ready too', async () => {
    const h = handlers({
      status: () => status('stopped'),
      start: async () => {
        throw new BuilderBarError('port-in-use', 'Port 2222 is taken.', 'Pick another port.');
      },
    });
    expect(await h['nix.verify']({ confDir: path.join(root, 'conf') })).toMatchObject({ ok: false, failure: { cause: 'builder-not-ready', fix: 'Pick another port.' } });
  });
});

describe('nix.remove', () => {
  it('with nothing applied says so, in the reply and in the app log', async () => {
    const lines: string[] = [];
    const result = await handlers({ status: () => status('ready'), start: async () => status('ready') }, lines)['nix.remove']({});
    expect(result.notes).toEqual([expect.stringContaining('nothing to remove')]);
    expect(lines).toContain('Nix wiring: nothing to remove.');
    // The nix-wiring stream says it too, with the note.
    expect(lines).toContain('[nix-wiring] Remove: nothing to remove.');
    expect(lines.filter((line) => line.startsWith('[nix-wiring] Remove: ') && line.includes('nothing to remove'))).toHaveLength(2);
  });
});

describe('nix.apply and nix.remove', () => {
  it('run one at a time in the order asked: an apply and a remove asked together leave the conf dir byte for byte as it was', async () => {
    const confDir = path.join(root, 'conf');
    await fs.mkdir(confDir);
    await fs.writeFile(path.join(confDir, 'nix.conf'), '# mine\nkeep-outputs = true\n# no newline at the end');
    await fs.chmod(path.join(confDir, 'nix.conf'), 0o640);
    const original = await snapshotDir(confDir);
    const gated = gatedDetect();
    const h = handlers({ status: () => status('ready'), start: async () => status('ready') }, [], gated.detect);

    const applying = h['nix.apply']({ confDir });
    await gated.inside;
    const removing = h['nix.remove']({});
    // Side by side, remove would now find nothing applied and apply would then wire Nix for good.
    // The time given is for that to happen; nothing below depends on it.
    await Promise.race([removing, new Promise((resolve) => setTimeout(resolve, 300))]);
    gated.open();
    const [applied, removed] = await Promise.all([applying, removing]);
    expect(applied.written).toHaveLength(5);
    expect(removed.restored).toEqual([path.join(confDir, 'nix.conf')]);
    expect(removed.deleted).toHaveLength(4);
    expect(await snapshotDir(confDir)).toEqual(original);
  });

  it('a failed step does not stop the next one', async () => {
    const h = handlers({ status: () => status('ready'), start: async () => status('ready') });
    const refused = h['nix.apply']({ confDir: path.join(root, 'with space') });
    const removed = h['nix.remove']({});
    await expect(refused).rejects.toMatchObject({ code: 'wiring-refused' });
    expect((await removed).notes).toEqual([expect.stringContaining('nothing to remove')]);
  });
});
