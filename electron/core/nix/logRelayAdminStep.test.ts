/**
 * The log relay's LaunchDaemon through the admin step (the real script, through sh, under a
 * directory standing for `/`; testing/systemTestbed.ts): installed byte for byte and started
 * before nix.conf names its socket; on remove, taken out byte-exact and stopped only after
 * nix-daemon no longer names it; launchd refusing it changes no Nix file. launchctl is not
 * here: root's commands are recorders that note what was in place when they ran.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BuilderBarError } from '../errors.js';
import { applyWiring, removeWiring } from './applyWiring.js';
import { launchdLogSocketActivator, logRelaySocketPath } from './launchdLogSocket.js';
import type { SystemLogSocketPlan } from './systemLogSocket.js';
import { recordProblems } from './wiringBounds.js';
import { readWiringRecord, sha256, type WiringRecord } from './wiringRecord.js';
import { shRunner, snapshotTree, systemLayout, systemPlan, systemTarget, systemWriter } from './testing/systemTestbed.js';

const uid = process.getuid?.() ?? 0;
let root: string;
let stateDir: string;
let marker: string;
let events: string;
const onRoot = (file: string) => path.join(root, file);
const jobFile = systemLayout.logRelayJob!;

beforeEach(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-relay-admin-'));
  stateDir = path.join(root, 'Users', 'me', 'state');
  marker = path.join(root, 'daemon-restarted');
  events = path.join(root, 'events');
  await fs.mkdir(path.join(root, 'etc', 'nix'), { recursive: true });
  await fs.mkdir(path.join(root, 'private', 'var', 'run'), { recursive: true });
  await fs.mkdir(stateDir, { recursive: true });
  await fs.writeFile(onRoot(systemLayout.nixConf), '# mine\nsandbox = true\n', { mode: 0o644 });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function relayPlan(coreSocketPath = path.join(stateDir, 'nix-log.sock')): SystemLogSocketPlan {
  return launchdLogSocketActivator('darwin').plan({ uid, userName: 'me', coreSocketPath });
}

/** launchctl's stand-ins: each notes whether the job file is in place, whether nix.conf names the socket, and whether the daemon was restarted. */
function recorders(startExit = 0): { start: string[]; stop: string[] } {
  const probe = `job=$(test -f "$1" && echo yes || echo no) line=$(grep -c "^json-log-path = " "$2") restarted=$(test -f "$3" && echo yes || echo no)`;
  const args = [onRoot(jobFile), onRoot(systemLayout.nixConf), marker, events];
  return {
    start: ['sh', '-c', `echo "start ${probe}" >> "$4"; exit ${startExit}`, 'launchctl-bootstrap', ...args],
    stop: ['sh', '-c', `echo "stop ${probe}" >> "$4"`, 'launchctl-bootout', ...args],
  };
}

async function recorded(): Promise<string[]> {
  return (await fs.readFile(events, 'utf8').catch(() => '')).split('\n').filter((line) => line !== '');
}

describe("the log relay's LaunchDaemon, through the admin step", { timeout: 60_000 }, () => {
  it('apply installs the plist byte for byte (0644) and starts it before nix.conf names its socket; remove stops it after nix-daemon forgot it and restores nix.conf byte for byte', async () => {
    const relay = relayPlan();
    const writer = systemWriter(root, stateDir, shRunner(), marker, recorders());
    const plan = await systemPlan(root, null, 'KEY\n', 31022, relay);
    await applyWiring(plan, stateDir, writer);
    expect(await fs.readFile(onRoot(jobFile), 'utf8')).toBe(relay.jobFile.content);
    expect((await fs.stat(onRoot(jobFile))).mode & 0o777).toBe(0o644);
    expect(await fs.readFile(onRoot(systemLayout.nixConf), 'utf8')).toContain(`\njson-log-path = ${logRelaySocketPath(uid)}\n`);
    // The job started with its file in place, before nix.conf named the socket and the daemon read it.
    expect(await recorded()).toEqual(['stop job=yes line=0 restarted=no', 'start job=yes line=0 restarted=no']);
    expect((await readWiringRecord(stateDir))?.files.find((file) => file.path === jobFile)).toMatchObject({ createdByUs: true, writtenSha256: sha256(relay.jobFile.content) });

    // launchd left its socket behind after the job went: remove takes it away too.
    const leftover = onRoot(logRelaySocketPath(uid));
    await leaveSocketAt(leftover);
    await fs.rm(marker);
    await fs.rm(events);
    const removed = await removeWiring(stateDir, writer);
    expect(removed.deleted).toContain(jobFile);
    expect(existsSync(onRoot(jobFile))).toBe(false);
    expect(await fs.readFile(onRoot(systemLayout.nixConf), 'utf8')).toBe('# mine\nsandbox = true\n');
    expect(await recorded()).toEqual(['stop job=no line=0 restarted=yes']);
    expect(existsSync(leftover)).toBe(false);
    expect(await fs.readdir(onRoot('/Library/LaunchDaemons'))).toEqual([]);
  });

  it('a job launchd refuses is taken out again, and no Nix file changes (exit 5)', async () => {
    const before = await snapshotTree(path.join(root, 'etc'));
    const writer = systemWriter(root, stateDir, shRunner(), marker, recorders(1));
    const error = (await applyWiring(await systemPlan(root, null, 'KEY\n', 31022, relayPlan()), stateDir, writer).catch((caught: unknown) => caught)) as BuilderBarError;
    expect(error).toBeInstanceOf(BuilderBarError);
    expect(error.code).toBe('wiring-refused');
    expect(error.message).toMatch(/^launchd did not start the log relay .*no Nix file was changed/);
    expect(existsSync(onRoot(jobFile))).toBe(false);
    expect(await snapshotTree(path.join(root, 'etc'))).toEqual(before);
    expect(existsSync(marker)).toBe(false);
    expect(await readWiringRecord(stateDir)).toBeNull();
  });

  it('a changed job (the state dir moved) is stopped and started again; if launchd refuses it, the one before is put back and started', async () => {
    await applyWiring(await systemPlan(root, null, 'KEY\n', 31022, relayPlan()), stateDir, systemWriter(root, stateDir, shRunner(), marker, recorders()));
    const first = await fs.readFile(onRoot(jobFile), 'utf8');
    const moved = relayPlan('/Users/me/elsewhere/nix-log.sock');
    await fs.rm(events);
    const refusing = systemWriter(root, stateDir, shRunner(), marker, recorders(1));
    await expect(applyWiring(await systemPlan(root, await readWiringRecord(stateDir), 'KEY\n', 31022, moved), stateDir, refusing)).rejects.toThrow(/launchd did not start/);
    expect(await fs.readFile(onRoot(jobFile), 'utf8')).toBe(first);
    // Three tries for the new job, then three for the one put back (the stand-in refuses all).
    expect((await recorded()).map((line) => line.split(' ')[0])).toEqual(['stop', ...Array<string>(6).fill('start')]);

    await fs.rm(events);
    await fs.rm(marker);
    await applyWiring(await systemPlan(root, await readWiringRecord(stateDir), 'KEY\n', 31022, moved), stateDir, systemWriter(root, stateDir, shRunner(), marker, recorders()));
    expect(await fs.readFile(onRoot(jobFile), 'utf8')).toBe(moved.jobFile.content);
    // nix.conf already names the same socket: the job alone changes, and nix-daemon keeps running.
    expect(await recorded()).toEqual(['stop job=yes line=1 restarted=no', 'start job=yes line=1 restarted=no']);
    expect(existsSync(marker)).toBe(false);
  });

  it('remove leaves a LaunchDaemon someone changed since apply, says so, and stops nothing', async () => {
    const writer = systemWriter(root, stateDir, shRunner(), marker, recorders());
    await applyWiring(await systemPlan(root, null, 'KEY\n', 31022, relayPlan()), stateDir, writer);
    await fs.writeFile(onRoot(jobFile), '<plist>someone else\'s</plist>\n');
    await fs.rm(events);
    const removed = await removeWiring(stateDir, writer);
    expect(removed.notes).toContain(`${jobFile} is not the log relay's LaunchDaemon Builder Bar wrote there; it was left as it is.`);
    expect(await fs.readFile(onRoot(jobFile), 'utf8')).toBe('<plist>someone else\'s</plist>\n');
    expect(await recorded()).toEqual([]);
  });

  it("remove takes away a socket at the relay's path only: a file there (root's, written while no socket was) stays", async () => {
    const writer = systemWriter(root, stateDir, shRunner(), marker, recorders());
    await applyWiring(await systemPlan(root, null, 'KEY\n', 31022, relayPlan()), stateDir, writer);
    await fs.writeFile(onRoot(logRelaySocketPath(uid)), '{"action":"start"}\n');
    await removeWiring(stateDir, writer);
    expect(await fs.readFile(onRoot(logRelaySocketPath(uid)), 'utf8')).toBe('{"action":"start"}\n');
  });

  it("a record may name this user's relay plist, and no other LaunchDaemon", () => {
    const entry = (file: string) => ({ path: file, createdByUs: true, backupPath: null, originalMode: null, originalSha256: null, writtenSha256: sha256('x') });
    const record = (file: string): WiringRecord => ({ version: 1, target: systemTarget, appliedAt: 0, files: [entry(file)] });
    expect(recordProblems(record(jobFile), stateDir)).toEqual([]);
    expect(recordProblems(record('/Library/LaunchDaemons/com.example.evil.plist'), stateDir)).toEqual([
      "it names /Library/LaunchDaemons/com.example.evil.plist, which is not one of the files Builder Bar writes for the system Nix configuration (/etc/nix)",
    ]);
    expect(recordProblems(record(`/Library/LaunchDaemons/dev.builder-bar.nix-log.${uid + 1}.plist`), stateDir)).toHaveLength(1);
  });
});

/** A unix socket left at `file`, as launchd may leave one (bound elsewhere, renamed into place, so closing does not unlink it). */
async function leaveSocketAt(file: string): Promise<void> {
  const temporary = path.join(path.dirname(file), `.bound-${process.pid}`);
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(temporary, () => resolve()));
  await fs.rename(temporary, file);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  expect((await fs.lstat(file)).isSocket()).toBe(true);
}
