/**
 * A remove killed after it restored the files but before it deleted its record (the soak suite's
 * kill -9 of `nix remove` found it): the record still names a backup that remove already
 * dropped. The next apply must back the original up afresh, or the remove after it has no
 * original to restore and refuses.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { applyWiring, removeWiring } from './applyWiring.js';
import { planWiring } from './planWiring.js';
import { DirectFileWriter, type WiringOperation } from './wiringFileWriter.js';
import { readWiringRecord } from './wiringRecord.js';
import { testBuilder, TEST_CLIENT_KEY, wiringSandbox, type WiringSandbox } from './testing/wiringFixtures.js';
import type { WiringTarget } from './wiringTarget.js';

let sandbox: WiringSandbox;
let target: WiringTarget;
const original = '# mine\nkeep-outputs = true\n# no newline at the end';

beforeEach(async () => {
  sandbox = await wiringSandbox('bb-interrupted-');
  target = { kind: 'confDir', dir: sandbox.confDir };
  await fs.writeFile(path.join(sandbox.confDir, 'nix.conf'), original, { mode: 0o640 });
  await fs.chmod(path.join(sandbox.confDir, 'nix.conf'), 0o640);
});
afterEach(() => sandbox.remove());

const plan = async () =>
  planWiring({ target, builder: testBuilder(), clientPrivateKey: TEST_CLIENT_KEY, record: await readWiringRecord(sandbox.stateDir) });

/** Carries out every operation, then dies before remove can delete the record. */
class KilledAfterCarryingOut extends DirectFileWriter {
  override async carryOut(operations: readonly WiringOperation[]): Promise<void> {
    await super.carryOut(operations);
    throw new Error('killed');
  }
}

it('apply after a remove cut short, then remove: the user\'s nix.conf comes back byte for byte', async () => {
  await applyWiring(await plan(), sandbox.stateDir);
  await expect(removeWiring(sandbox.stateDir, new KilledAfterCarryingOut(target, sandbox.stateDir))).rejects.toThrow('killed');
  expect(await fs.readFile(path.join(sandbox.confDir, 'nix.conf'), 'utf8')).toBe(original);
  expect(await readWiringRecord(sandbox.stateDir)).not.toBeNull();

  await applyWiring(await plan(), sandbox.stateDir);
  const removed = await removeWiring(sandbox.stateDir);
  expect(removed.restored).toContain(path.join(sandbox.confDir, 'nix.conf'));
  expect(await fs.readFile(path.join(sandbox.confDir, 'nix.conf'), 'utf8')).toBe(original);
  expect((await fs.stat(path.join(sandbox.confDir, 'nix.conf'))).mode & 0o777).toBe(0o640);
  expect((await fs.readdir(sandbox.confDir)).sort()).toEqual(['nix.conf']);
});
