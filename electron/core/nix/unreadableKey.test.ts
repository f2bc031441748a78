/**
 * After a system apply the client key is root's (0600, as nix-daemon needs it), so the next plan,
 * running as the user, cannot read it. Plan must still work: the record says what Builder Bar
 * wrote there, the key's entry is "unchanged" (or "replace", with the recorded sha for root's
 * script to check), and a key Builder Bar never wrote is a problem, not a crash. Root-owned
 * files cannot be made unreadable to the root this test runs as, so the read is refused the
 * way macOS refuses it (EACCES), for that one path.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { applyWiring } from './applyWiring.js';
import { planWiring } from './planWiring.js';
import { readWiringRecord, sha256 } from './wiringRecord.js';
import { targetLayout, type WiringTarget } from './wiringTarget.js';
import { testBuilder, wiringSandbox, type WiringSandbox } from './testing/wiringFixtures.js';

const builder = testBuilder({ port: 41234 });
const key = (n: number): string => `-----BEGIN OPENSSH PRIVATE KEY-----\nkey-${n}\n-----END OPENSSH PRIVATE KEY-----\n`;

let sandbox: WiringSandbox;
let root: string;
let stateDir: string;
let target: WiringTarget;
let keyFile: string;

beforeEach(async () => {
  sandbox = await wiringSandbox('bb-unreadable-');
  ({ root, stateDir } = sandbox);
  target = { kind: 'confDir', dir: path.join(root, 'conf') };
  keyFile = targetLayout(target).clientKey;
});
afterEach(() => {
  vi.restoreAllMocks();
  sandbox.remove();
});

const plan = async (clientPrivateKey: string) => planWiring({ target, builder, clientPrivateKey, record: await readWiringRecord(stateDir) });

function keyBecomesRoots(): void {
  const realReadFile = fs.readFile.bind(fs);
  vi.spyOn(fs, 'readFile').mockImplementation(((file: Parameters<typeof fs.readFile>[0], options?: Parameters<typeof fs.readFile>[1]) => {
    if (file === keyFile) return Promise.reject(Object.assign(new Error(`EACCES: permission denied, open '${keyFile}'`), { code: 'EACCES' }));
    return realReadFile(file, options);
  }) as typeof fs.readFile);
}

it('plans again after the key became root\'s: unchanged when it is the same key, replaced (checked against the record) when not', async () => {
  await applyWiring(await plan(key(1)), stateDir);
  keyBecomesRoots();

  const again = await plan(key(1));
  expect(again.problems).toEqual([]);
  expect(again.files.find((file) => file.role === 'client-key')).toMatchObject({ change: 'none', before: { exists: true, sha256: sha256(key(1)) } });
  expect(again.changes).toBe(false);

  const newKey = await plan(key(2));
  expect(newKey.problems).toEqual([]);
  expect(newKey.files.find((file) => file.role === 'client-key')).toMatchObject({ change: 'update', before: { sha256: sha256(key(1)) }, secret: true });
});

it('a key this user cannot read that Builder Bar never wrote is a problem that says what to check, not a crash', async () => {
  await fs.mkdir(path.dirname(keyFile), { recursive: true });
  await fs.writeFile(keyFile, 'someone else\'s key\n', { mode: 0o600 });
  keyBecomesRoots();
  const planned = await plan(key(1));
  expect(planned.problems.map((problem) => problem.message)).toEqual([expect.stringContaining(`${keyFile} exists and this user may not read it`)]);
  await expect(applyWiring(planned, stateDir)).rejects.toMatchObject({ code: 'wiring-refused' });
  vi.restoreAllMocks();
  expect(await fs.readFile(keyFile, 'utf8')).toBe('someone else\'s key\n');
});
