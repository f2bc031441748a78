import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BuilderBarError } from '../errors.js';
import { applyWiring, removeWiring } from './applyWiring.js';
import type { BuilderEndpoint } from './builderEndpoint.js';
import { planWiring } from './planWiring.js';
import { readWiringRecord, sha256 } from './wiringRecord.js';
import { AdminFileWriter, macAdminArguments, type PrivilegedRunner } from './wiringFileWriter.js';

// The privileged runner is the macOS-only facility (osascript's password prompt); here the same
// script runs through plain sh, for real, against files in a directory the test owns.
const shRunner: PrivilegedRunner = {
  async run(scriptPath) {
    const result = await execa('sh', [scriptPath], { reject: false, all: true });
    return { exitCode: typeof result.exitCode === 'number' ? result.exitCode : null, output: result.all ?? '' };
  },
};

let root: string;
let etc: string;
let marker: string;
beforeEach(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-admin-'));
  etc = path.join(root, 'etc nix');
  marker = path.join(root, 'daemon-restarted');
  await fs.mkdir(etc);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function writer(nixConf: string): AdminFileWriter {
  return new AdminFileWriter({ stagingDir: path.join(root, 'state', 'admin'), runner: shRunner, nixConf, restartDaemon: ['touch', marker] });
}

describe('AdminFileWriter', () => {
  it('installs every staged file with its mode in one script, and restarts the daemon because nix.conf changed', async () => {
    const nixConf = path.join(etc, 'nix.conf');
    await fs.writeFile(nixConf, 'sandbox = true\n');
    const admin = writer(nixConf);
    await admin.write(nixConf, 'sandbox = true\nbuilders = @machines\n', 0o644, sha256('sandbox = true\n'));
    await admin.write(path.join(etc, "it's a key"), 'secret\n', 0o600, null);
    expect(admin.script()).toContain(`expect '${etc}/it'\\''s a key' absent`);
    await admin.commit();
    expect(await fs.readFile(nixConf, 'utf8')).toBe('sandbox = true\nbuilders = @machines\n');
    expect((await fs.stat(path.join(etc, "it's a key"))).mode & 0o777).toBe(0o600);
    expect(existsSync(marker)).toBe(true);
    expect(existsSync(path.join(root, 'state', 'admin'))).toBe(false);
  });

  it('changes nothing when any file changed since it was read, and says so', async () => {
    const nixConf = path.join(etc, 'nix.conf');
    const machines = path.join(etc, 'machines');
    await fs.writeFile(nixConf, 'a = 1\n');
    const admin = writer(nixConf);
    await admin.write(machines, 'ssh://x\n', 0o644, null);
    await admin.write(nixConf, 'a = 2\n', 0o644, sha256('a = 1\n'));
    await fs.writeFile(nixConf, 'a = 1\n# the user edited this meanwhile\n');
    const error = await admin.commit().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BuilderBarError);
    expect((error as BuilderBarError).code).toBe('wiring-refused');
    expect(existsSync(machines)).toBe(false);
    expect(existsSync(marker)).toBe(false);
  });

  it('does not restart the daemon when nix.conf is not among the changes', async () => {
    const admin = writer(path.join(etc, 'nix.conf'));
    await admin.write(path.join(etc, 'machines'), 'ssh://x\n', 0o644, null);
    expect(admin.script()).toContain('nix-daemon is restarted not at all');
    await admin.commit();
    expect(existsSync(marker)).toBe(false);
  });
});

describe('apply and remove through the admin step', () => {
  it('applies a plan with one script and removes it byte for byte with another', async () => {
    const confDir = path.join(root, 'conf');
    const stateDir = path.join(root, 'state');
    await fs.mkdir(confDir);
    await fs.mkdir(stateDir);
    const userConf = 'max-jobs = 4\n# mine\n';
    await fs.writeFile(path.join(confDir, 'nix.conf'), userConf, { mode: 0o640 });
    await fs.chmod(path.join(confDir, 'nix.conf'), 0o640);
    const builder: BuilderEndpoint = {
      alias: 'builder-bar-linux', port: 31022, user: 'builder', systems: ['aarch64-linux'], maxJobs: 1, speedFactor: 1,
      supportedFeatures: [], hostPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJBWcxb/Blaqt1auOtE+F8QUWrUotiC5qBJ+UuEWdVCb',
    };
    const plan = await planWiring({ target: { kind: 'confDir', dir: confDir }, builder, clientPrivateKey: 'KEY\n', record: null });
    const result = await applyWiring(plan, stateDir, writer(path.join(confDir, 'nix.conf')));
    expect(result.written).toHaveLength(5);
    expect(await fs.readFile(path.join(confDir, 'nix.conf'), 'utf8')).toContain('builders = ');
    expect(existsSync(marker)).toBe(true);
    expect(await readWiringRecord(stateDir)).not.toBeNull();

    await removeWiring(stateDir, writer(path.join(confDir, 'nix.conf')));
    expect(await fs.readFile(path.join(confDir, 'nix.conf'), 'utf8')).toBe(userConf);
    expect((await fs.stat(path.join(confDir, 'nix.conf'))).mode & 0o777).toBe(0o640);
    expect((await fs.readdir(confDir)).sort()).toEqual(['nix.conf']);
  });
});

describe('macAdminArguments', () => {
  it('hands osascript the script path as an AppleScript string, quoted for the shell by AppleScript itself', () => {
    expect(macAdminArguments('/Users/me/Library/Application Support/Builder Bar/nix-wiring-admin/apply-as-admin.sh')).toEqual([
      '-e',
      'do shell script "/bin/sh " & quoted form of "/Users/me/Library/Application Support/Builder Bar/nix-wiring-admin/apply-as-admin.sh" with administrator privileges',
    ]);
    expect(macAdminArguments('/tmp/a"b\\c.sh')[1]).toContain('quoted form of "/tmp/a\\"b\\\\c.sh"');
  });
});
