import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BuilderBarError } from '../errors.js';
import { ADMIN_SCRIPT_COPY } from './adminFileWriter.js';
import { applyWiring, removeWiring } from './applyWiring.js';
import { adminOutcome, macAdminArguments } from './macAdminRunner.js';
import { backupPathFor, SYSTEM_BACKUP_DIR, WIRING_BACKUP_DIR } from './wiringBounds.js';
import { readWiringRecord, sha256 } from './wiringRecord.js';
import { scriptFromOsascript, shRunner, snapshotTree, systemLayout, systemPlan, systemTarget, systemWriter } from './testing/systemTestbed.js';

// The admin step's script runs for real, through sh, against a directory standing for `/`
// (see testing/systemTestbed.ts); the writer, the record and the checks use the real layout.
let root: string;
let stateDir: string;
let marker: string;
const onRoot = (file: string) => path.join(root, file);

beforeEach(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-admin-'));
  stateDir = path.join(root, 'Users', 'me', 'state');
  marker = path.join(root, 'daemon-restarted');
  await fs.mkdir(path.join(root, 'etc', 'nix'), { recursive: true });
  await fs.mkdir(stateDir, { recursive: true });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

async function userNixConf(text: string): Promise<void> {
  await fs.writeFile(onRoot(systemLayout.nixConf), text);
  await fs.chmod(onRoot(systemLayout.nixConf), 0o644);
}

// Each script runs sh and a digest per file: slow on a busy machine, never a speed test.
describe('apply and remove on the system target, through the admin step', { timeout: 60_000 }, () => {
  it('backs up the original as root into the root-only backup directory, and remove restores it from there byte for byte', async () => {
    const original = '# mine\nsandbox = true\n# no newline at the end';
    await userNixConf(original);
    const runner = shRunner();
    const writer = systemWriter(root, stateDir, runner, marker);
    const result = await applyWiring(await systemPlan(root, null), stateDir, writer);
    expect(result.written).toHaveLength(5);
    expect(runner.scripts).toHaveLength(1);
    expect(await fs.readFile(onRoot(systemLayout.nixConf), 'utf8')).toContain(`builders = @${systemLayout.machines}`);
    expect((await fs.stat(onRoot(systemLayout.clientKey))).mode & 0o777).toBe(0o600);
    expect(existsSync(marker)).toBe(true);

    // The original is in root's backup directory (0700), nowhere in the state dir.
    const backup = backupPathFor(systemTarget, stateDir, systemLayout.nixConf);
    expect(path.dirname(backup)).toBe(SYSTEM_BACKUP_DIR);
    expect(await fs.readFile(onRoot(backup), 'utf8')).toBe(original);
    const backupDir = await fs.stat(onRoot(SYSTEM_BACKUP_DIR));
    expect(backupDir.mode & 0o777).toBe(0o700);
    if (process.getuid?.() === 0) expect(backupDir.uid).toBe(0);
    expect((await readWiringRecord(stateDir))?.files.find((file) => file.path === systemLayout.nixConf)?.backupPath).toBe(backup);
    expect((await fs.readdir(stateDir)).sort()).toEqual([ADMIN_SCRIPT_COPY, 'nix-wiring.json'].sort());

    await fs.rm(marker);
    const removed = await removeWiring(stateDir, writer);
    expect(removed.restored).toEqual([systemLayout.nixConf]);
    expect(removed.deleted).toHaveLength(4);
    expect(await fs.readFile(onRoot(systemLayout.nixConf), 'utf8')).toBe(original);
    expect((await fs.stat(onRoot(systemLayout.nixConf))).mode & 0o777).toBe(0o644);
    expect(await fs.readdir(path.join(root, 'etc', 'nix'))).toEqual(['nix.conf']);
    expect(existsSync(onRoot(systemLayout.sshConfig))).toBe(false);
    expect(existsSync(onRoot(backup))).toBe(false);
    expect(existsSync(marker)).toBe(true);
    expect(await readWiringRecord(stateDir)).toBeNull();
  });

  it('never restores from a file in the state dir, where the user could have put anything', async () => {
    const original = 'sandbox = true\n';
    await userNixConf(original);
    const writer = systemWriter(root, stateDir, shRunner(), marker);
    await applyWiring(await systemPlan(root, null), stateDir, writer);
    // Where backups used to live, something running as the user plants its own "original".
    const planted = path.join(stateDir, WIRING_BACKUP_DIR);
    await fs.mkdir(planted, { recursive: true });
    for (const name of [`${sha256(systemLayout.nixConf).slice(0, 12)}-nix.conf`, 'nix.conf']) {
      await fs.writeFile(path.join(planted, name), 'build-hook = /tmp/evil\n');
    }
    await removeWiring(stateDir, writer);
    expect(await fs.readFile(onRoot(systemLayout.nixConf), 'utf8')).toBe(original);
  });

  it('refuses to restore a backup that is not the original, changing nothing', async () => {
    await userNixConf('sandbox = true\n');
    const writer = systemWriter(root, stateDir, shRunner(), marker);
    await applyWiring(await systemPlan(root, null), stateDir, writer);
    await fs.writeFile(onRoot(backupPathFor(systemTarget, stateDir, systemLayout.nixConf)), 'not the original\n');
    const before = await snapshotTree(path.join(root, 'etc'));
    const error = (await removeWiring(stateDir, writer).catch((caught: unknown) => caught)) as BuilderBarError;
    expect(error).toBeInstanceOf(BuilderBarError);
    expect(error.code).toBe('wiring-refused');
    expect(error.message).toContain('is missing or is not the original; nothing was changed');
    expect(await snapshotTree(path.join(root, 'etc'))).toEqual(before);
    expect(await readWiringRecord(stateDir)).not.toBeNull();
  });

  it('installs nothing when a staged file is swapped after the script was built (the password prompt is open)', async () => {
    await userNixConf('sandbox = true\n');
    const etcBefore = await snapshotTree(path.join(root, 'etc'));
    for (const swap of ['content', 'symlink'] as const) {
      const runner = shRunner(async () => {
        const [staging] = (await fs.readdir(stateDir)).filter((name) => name.startsWith('nix-wiring-admin-') && !name.endsWith('.sh'));
        const dir = path.join(stateDir, staging ?? 'missing');
        const machines = (await fs.readdir(dir)).find((name) => name.endsWith('builder-bar-machines'));
        const staged = path.join(dir, machines ?? 'missing');
        await fs.rm(staged);
        if (swap === 'content') await fs.writeFile(staged, 'ssh://root@evil.example x86_64-linux\n');
        else await fs.symlink('/etc/passwd', staged);
      });
      const error = (await applyWiring(await systemPlan(root, null), stateDir, systemWriter(root, stateDir, runner, marker)).catch((caught: unknown) => caught)) as BuilderBarError;
      expect(runner.scripts).toHaveLength(1);
      expect(error, swap).toBeInstanceOf(BuilderBarError);
      expect(error.code).toBe('wiring-refused');
      expect(error.message).toContain('changed while the password prompt was open; nothing was changed');
      expect(error.message).toContain('builder-bar-machines');
      expect(await snapshotTree(path.join(root, 'etc'))).toEqual(etcBefore);
      expect(existsSync(onRoot(SYSTEM_BACKUP_DIR))).toBe(false);
      expect(existsSync(marker)).toBe(false);
      expect(await readWiringRecord(stateDir)).toBeNull();
      // The private staging directory is gone with the step that made it.
      expect((await fs.readdir(stateDir)).filter((name) => name.startsWith('nix-wiring-admin-') && !name.endsWith('.sh'))).toEqual([]);
    }
  });

  it('changes nothing when a file changed since it was read, and says so', async () => {
    await userNixConf('a = 1\n');
    const plan = await systemPlan(root, null);
    // Read by the plan, then edited before the script runs.
    const runner = shRunner(async () => fs.writeFile(onRoot(systemLayout.nixConf), 'a = 1\n# the user edited this meanwhile\n'));
    const error = (await applyWiring(plan, stateDir, systemWriter(root, stateDir, runner, marker)).catch((caught: unknown) => caught)) as BuilderBarError;
    expect(error.code).toBe('wiring-refused');
    expect(error.message).toContain('A file changed since Builder Bar read it; nothing was changed.');
    expect(existsSync(onRoot(systemLayout.machines))).toBe(false);
    expect(existsSync(marker)).toBe(false);
  });

  it('never writes through a symbolic link (nix-darwin\'s /etc/nix/nix.conf): nothing is changed', async () => {
    await fs.mkdir(path.join(root, 'etc', 'static'), { recursive: true });
    await fs.writeFile(path.join(root, 'etc', 'static', 'nix.conf'), 'sandbox = true\n');
    await fs.symlink('../static/nix.conf', onRoot(systemLayout.nixConf));
    const before = await snapshotTree(path.join(root, 'etc'));
    const error = (await applyWiring(await systemPlan(root, null), stateDir, systemWriter(root, stateDir, shRunner(), marker)).catch((caught: unknown) => caught)) as BuilderBarError;
    expect(error.code).toBe('wiring-refused');
    expect(error.message).toContain('is a symbolic link');
    expect(await fs.readlink(onRoot(systemLayout.nixConf))).toBe('../static/nix.conf');
    expect(await snapshotTree(path.join(root, 'etc'))).toEqual(before);
  });

  it('does not restart the daemon when nix.conf is not among the changes', async () => {
    const runner = shRunner();
    const writer = systemWriter(root, stateDir, runner, marker);
    await writer.carryOut([{ kind: 'write', file: systemLayout.machines, content: 'ssh://x\n', mode: 0o644, expectSha256: null }]);
    expect(runner.scripts[0]).toContain('nix-daemon is restarted not at all');
    expect(await fs.readFile(onRoot(systemLayout.machines), 'utf8')).toBe('ssh://x\n');
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses, before any script is built or run, an operation outside the layout, a foreign backup path or another mode', async () => {
    const runner = shRunner();
    const writer = systemWriter(root, stateDir, runner, marker);
    const refused = [
      { kind: 'write', file: '/etc/sudoers.d/x', content: 'ALL ALL=(ALL) NOPASSWD: ALL\n', mode: 0o440, expectSha256: null },
      { kind: 'remove', file: '/etc/hosts', expectSha256: null },
      { kind: 'write', file: systemLayout.nixConf, content: 'x', mode: 0o4755, expectSha256: null },
      { kind: 'restore', file: systemLayout.nixConf, backupPath: path.join(stateDir, 'evil'), backupSha256: sha256('x'), mode: 0o644, expectSha256: null },
      { kind: 'backup', file: systemLayout.nixConf, backupPath: '/etc/sudoers', expectSha256: sha256('x') },
    ] as const;
    for (const op of refused) {
      const error = (await writer.carryOut([op]).catch((caught: unknown) => caught)) as BuilderBarError;
      expect(error, JSON.stringify(op)).toBeInstanceOf(BuilderBarError);
      expect(error.message).toContain('Nothing was changed.');
      expect(() => writer.script([op], new Map(), 'test')).toThrow(BuilderBarError);
    }
    expect(runner.scripts).toEqual([]);
    expect(existsSync(onRoot('/etc/sudoers.d/x'))).toBe(false);
  });
});

describe('the admin prompt', { timeout: 60_000 }, () => {
  it('gets the script inline, on one line, quoted so that sh receives exactly the text; the copy in the state dir is only for reading', async () => {
    // A state dir whose path needs every kind of quoting: the staged copies live there.
    stateDir = path.join(root, `it's "quoted" \\ back\tslash\nnewline`);
    await fs.mkdir(stateDir, { recursive: true });
    const runner = shRunner();
    const writer = systemWriter(root, stateDir, runner, marker);
    await writer.carryOut([{ kind: 'write', file: systemLayout.knownHosts, content: 'pinned\n', mode: 0o644, expectSha256: null }]);
    expect(await fs.readFile(onRoot(systemLayout.knownHosts), 'utf8')).toBe('pinned\n');
    const script = runner.scripts[0]!;
    const args = macAdminArguments(script);
    expect(args).toHaveLength(2);
    expect(args[1]).not.toMatch(/[\n\r]/);
    expect(scriptFromOsascript(args)).toBe(script);
    const copy = path.join(stateDir, ADMIN_SCRIPT_COPY);
    expect(await fs.readFile(copy, 'utf8')).toBe(script);
    expect((await fs.stat(copy)).mode & 0o777).toBe(0o600);
  });

  it('reads the script\'s exit status back from what osascript reports', () => {
    expect(adminOutcome(1, '', '0:120: execution error: builder-bar: /etc/nix/nix.conf changed since Builder Bar read it; nothing was changed. (3)\n').exitCode).toBe(3);
    expect(adminOutcome(1, '', '0:45: execution error: User canceled. (-128)').exitCode).toBe(-128);
    expect(adminOutcome(0, 'builder-bar: done', '').exitCode).toBe(0);
    expect(adminOutcome(1, '', 'something else').exitCode).toBe(1);
  });
});
