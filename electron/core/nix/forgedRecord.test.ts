/**
 * `nix-wiring.json` is in the user's state dir: anything running as the user can rewrite it.
 * A record naming anything but its target's own files, their backup paths and Builder Bar's
 * modes is refused with what to do, and nothing is touched; a record claiming Builder Bar
 * created a file it did not write cannot make remove delete that file.
 */
import { existsSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BuilderBarError } from '../errors.js';
import { applyWiring, removeWiring } from './applyWiring.js';
import { BLOCK_BEGIN, BLOCK_END } from './markedBlock.js';
import { planWiring } from './planWiring.js';
import { backupPathFor } from './wiringBounds.js';
import { readWiringRecord, recordPath, sha256, writeWiringRecord, type WiringRecord, type WiringRecordFile } from './wiringRecord.js';
import { targetLayout, type WiringTarget } from './wiringTarget.js';
import { shRunner, snapshotTree, systemLayout, systemPlan, systemTarget, systemWriter } from './testing/systemTestbed.js';
import { wiringSandbox, type WiringSandbox } from './testing/wiringFixtures.js';

let sandbox: WiringSandbox;
let root: string;
let stateDir: string;
let confDir: string;
let marker: string;

beforeEach(async () => {
  sandbox = await wiringSandbox('bb-forged-');
  ({ root, stateDir, confDir } = sandbox);
  marker = path.join(root, 'daemon-restarted');
  await fs.mkdir(path.join(root, 'etc', 'nix'), { recursive: true });
});
afterEach(() => sandbox.remove());

const created = (file: string, writtenSha256 = sha256('x')): WiringRecordFile => ({
  path: file, createdByUs: true, backupPath: null, originalMode: null, originalSha256: null, writtenSha256,
});
const edited = (file: string, backupPath: string, originalMode = 0o644): WiringRecordFile => ({
  path: file, createdByUs: false, backupPath, originalMode, originalSha256: sha256('original'), writtenSha256: sha256('x'),
});
const record = (target: WiringTarget, files: WiringRecordFile[]): WiringRecord => ({ version: 1, target, appliedAt: 1, files });

/**
 * The forged records a user-level process could write, for a target. `sudoers` is the real
 * /etc/sudoers.d/x only where the test's writer runs under a root prefix: these tests run as
 * root, and a regression must not be able to write the machine's own /etc.
 */
function forgeries(target: WiringTarget, sudoers: string, victim: string): Array<[string, WiringRecord]> {
  const layout = targetLayout(target);
  const evilBackup = path.join(stateDir, 'evil-sudoers');
  return [
    ['a file in /etc/sudoers.d', record(target, [edited(sudoers, evilBackup, 0o440)])],
    ['an unrelated file', record(target, [created(victim)])],
    ['a backup path of its own choosing', record(target, [edited(layout.nixConf, evilBackup)])],
    ['setuid mode 4755', record(target, [edited(layout.nixConf, backupPathFor(target, stateDir, layout.nixConf), 0o4755)])],
  ];
}

async function expectRefused(promise: Promise<unknown>, names: string): Promise<void> {
  const error = (await promise.catch((caught: unknown) => caught)) as BuilderBarError;
  expect(error, names).toBeInstanceOf(BuilderBarError);
  expect(error.code).toBe('wiring-refused');
  expect(error.message).toContain(`${recordPath(stateDir)} cannot be trusted`);
  expect(error.message).toContain(names);
  expect(error.message).toContain('nothing was changed');
  expect(error.hint).toContain(`Move ${recordPath(stateDir)} out of the state dir`);
}

describe('a forged wiring record', () => {
  it('for a config directory: remove, plan and apply refuse it and touch nothing', async () => {
    const target: WiringTarget = { kind: 'confDir', dir: confDir };
    const victim = path.join(root, 'precious.txt');
    await fs.writeFile(victim, 'mine\n');
    await fs.writeFile(path.join(stateDir, 'evil-sudoers'), 'ALL ALL=(ALL) NOPASSWD: ALL\n');
    await fs.writeFile(path.join(confDir, 'nix.conf'), 'sandbox = true\n');
    const before = await snapshotTree(root);
    const sudoers = path.join(root, 'etc', 'sudoers.d', 'x');
    for (const [what, forged] of forgeries(target, sudoers, victim)) {
      await writeWiringRecord(stateDir, forged);
      const withRecord = await snapshotTree(root);
      const names = forged.files[0]!.path;
      await expectRefused(removeWiring(stateDir), names);
      await expectRefused(readWiringRecord(stateDir), names);
      const plan = await planWiring({ target, builder: testBuilder, clientPrivateKey: 'KEY\n', record: null });
      await expectRefused(applyWiring(plan, stateDir), names);
      expect(await snapshotTree(root), what).toEqual(withRecord);
    }
    expect(existsSync(sudoers)).toBe(false);
    await fs.rm(recordPath(stateDir));
    expect(await snapshotTree(root)).toEqual(before);
  });

  it('for the system target: refused before any admin script is built, and nothing under / is touched', async () => {
    const victim = '/etc/hosts';
    await fs.writeFile(path.join(root, victim), '127.0.0.1 localhost\n');
    await fs.writeFile(path.join(stateDir, 'evil-sudoers'), 'ALL ALL=(ALL) NOPASSWD: ALL\n');
    await fs.writeFile(path.join(root, systemLayout.nixConf), 'sandbox = true\n');
    for (const [what, forged] of forgeries(systemTarget, '/etc/sudoers.d/x', victim)) {
      await writeWiringRecord(stateDir, forged);
      const before = await snapshotTree(root);
      const runner = shRunner();
      await expectRefused(removeWiring(stateDir, systemWriter(root, stateDir, runner, marker)), forged.files[0]!.path);
      await expectRefused(applyWiring(await systemPlan(root, null), stateDir, systemWriter(root, stateDir, runner, marker)), forged.files[0]!.path);
      expect(runner.scripts, what).toEqual([]);
      expect(await snapshotTree(root), what).toEqual(before);
    }
    expect(existsSync(path.join(root, 'etc', 'sudoers.d', 'x'))).toBe(false);
  });

  it('for the system target, a backup in the state dir (where backups used to be) is refused too', async () => {
    const legacy = path.join(stateDir, 'nix-wiring-backups', `${sha256(systemLayout.nixConf).slice(0, 12)}-nix.conf`);
    await writeWiringRecord(stateDir, record(systemTarget, [edited(systemLayout.nixConf, legacy)]));
    await expectRefused(removeWiring(stateDir, systemWriter(root, stateDir, shRunner(), marker)), legacy);
  });
});

describe('a record claiming Builder Bar created a file it did not write', () => {
  const userText = '# my settings\nsandbox = true\n';
  const withOurBlock = `${userText}${BLOCK_BEGIN}\nbuilders = @/etc/nix/builder-bar-machines\n${BLOCK_END}\n`;

  it('on the system target: remove takes out only our block of nix.conf, or leaves a file without it alone', { timeout: 60_000 }, async () => {
    const nixConf = path.join(root, systemLayout.nixConf);
    const knownHosts = path.join(root, systemLayout.knownHosts);
    await fs.writeFile(nixConf, withOurBlock);
    await fs.writeFile(knownHosts, 'their-host ssh-ed25519 AAAA\n');
    // The forger even gives the current checksums, as if Builder Bar had written these bytes.
    await writeWiringRecord(stateDir, record(systemTarget, [created(systemLayout.nixConf, sha256(withOurBlock)), created(systemLayout.knownHosts, sha256('their-host ssh-ed25519 AAAA\n'))]));
    const removed = await removeWiring(stateDir, systemWriter(root, stateDir, shRunner(), marker));
    expect(await fs.readFile(nixConf, 'utf8')).toBe(userText);
    expect(await fs.readFile(knownHosts, 'utf8')).toBe('their-host ssh-ed25519 AAAA\n');
    expect(removed.deleted).toEqual([]);
    expect(removed.blockRemoved).toEqual([systemLayout.nixConf]);
    expect(removed.notes).toEqual([
      `${systemLayout.nixConf} holds lines Builder Bar did not write: only the builder-bar block was removed; the file stays.`,
      `${systemLayout.knownHosts} does not hold Builder Bar's block; it was left as it is.`,
    ]);
  });

  it('in a config directory: the same', async () => {
    const target: WiringTarget = { kind: 'confDir', dir: confDir };
    const layout = targetLayout(target);
    await fs.writeFile(layout.nixConf, withOurBlock);
    await fs.writeFile(layout.clientKey, 'their own key\n');
    await writeWiringRecord(stateDir, record(target, [created(layout.nixConf, sha256(withOurBlock)), created(layout.clientKey, sha256('what Builder Bar wrote\n'))]));
    const removed = await removeWiring(stateDir);
    expect(await fs.readFile(layout.nixConf, 'utf8')).toBe(userText);
    expect(await fs.readFile(layout.clientKey, 'utf8')).toBe('their own key\n');
    expect(removed.deleted).toEqual([]);
    expect(removed.notes[1]).toBe(`${layout.clientKey} is not the key Builder Bar wrote there; it was left as it is.`);
  });
});

const testBuilder = {
  alias: 'builder-bar-linux', port: 31022, user: 'builder', systems: ['x86_64-linux'], maxJobs: 1, speedFactor: 1,
  supportedFeatures: [], hostPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJBWcxb/Blaqt1auOtE+F8QUWrUotiC5qBJ+UuEWdVCb',
};
