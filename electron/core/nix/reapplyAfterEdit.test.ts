/**
 * A user edits a file Builder Bar wired (a line added after our block, at the end of nix.conf
 * where people append), then Builder Bar applies again (a new port, a re-apply from the app):
 * the second apply rewrites the file with the user's line and records that as what it wrote.
 * Remove must not then put the first apply's original back over it, which silently dropped the
 * user's line; it takes out only our block. Without such an edit, remove still restores the
 * original byte for byte, also when the second apply rewrote the file.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { applyWiring, removeWiring } from './applyWiring.js';
import type { BuilderEndpoint } from './builderEndpoint.js';
import { planWiring } from './planWiring.js';
import { readWiringRecord } from './wiringRecord.js';
import { testBuilder, TEST_CLIENT_KEY, wiringSandbox, type WiringSandbox } from './testing/wiringFixtures.js';
import type { WiringTarget } from './wiringTarget.js';

let sandbox: WiringSandbox;
let target: WiringTarget;

beforeEach(async () => {
  sandbox = await wiringSandbox('bb-reapply-');
  target = { kind: 'confDir', dir: sandbox.confDir };
});
afterEach(() => sandbox.remove());

async function applyWith(builder: BuilderEndpoint): Promise<string[]> {
  const plan = await planWiring({ target, builder, clientPrivateKey: TEST_CLIENT_KEY, record: await readWiringRecord(sandbox.stateDir) });
  expect(plan.problems).toEqual([]);
  return (await applyWiring(plan, sandbox.stateDir)).written;
}

it('a line the user added after our block survives a second apply and then remove', async () => {
  const nixConf = path.join(sandbox.confDir, 'nix.conf');
  await fs.writeFile(nixConf, 'keep-outputs = true\n', { mode: 0o640 });
  await fs.chmod(nixConf, 0o640);
  await applyWith(testBuilder());
  await fs.appendFile(nixConf, 'keep-derivations = true\n');

  // The second apply moves our block back to the end, under the user's line: a write.
  expect(await applyWith(testBuilder())).toContain(nixConf);
  const removed = await removeWiring(sandbox.stateDir);

  expect(await fs.readFile(nixConf, 'utf8')).toBe('keep-outputs = true\nkeep-derivations = true\n');
  expect((await fs.stat(nixConf)).mode & 0o777).toBe(0o640);
  expect(removed.blockRemoved).toEqual([nixConf]);
  expect(removed.notes.join('\n')).toContain(`${nixConf} was edited after Builder Bar wired it`);
});

it('without an edit, a second apply that rewrote the file still lets remove restore it byte for byte', async () => {
  const sshConfig = path.join(sandbox.confDir, 'ssh_config');
  // No newline at the end: apply adds one before our block, remove must not leave it.
  const original = 'Host work\n  HostName work.example.com';
  await fs.writeFile(sshConfig, original, { mode: 0o600 });
  await fs.chmod(sshConfig, 0o600);
  await applyWith(testBuilder());
  expect(await applyWith(testBuilder({ port: 31023 }))).toEqual([sshConfig]);

  const removed = await removeWiring(sandbox.stateDir);
  expect(removed.restored).toContain(sshConfig);
  expect(await fs.readFile(sshConfig, 'utf8')).toBe(original);
  expect((await fs.stat(sshConfig)).mode & 0o777).toBe(0o600);
  expect((await fs.readdir(sandbox.confDir)).sort()).toEqual(['ssh_config']);
});
