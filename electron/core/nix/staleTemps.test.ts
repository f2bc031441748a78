/**
 * A kill -9 (or a power cut) between creating a temp file and renaming it over a wiring file
 * leaves the temp file in the user's config directory; the wiring file itself is whole. The
 * next apply or remove tidies exactly those names and nothing else (the soak suite's kills of
 * `nix apply` found them).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { applyWiring, removeWiring } from './applyWiring.js';
import { planWiring } from './planWiring.js';
import { readWiringRecord } from './wiringRecord.js';
import { testBuilder, TEST_CLIENT_KEY, wiringSandbox, type WiringSandbox } from './testing/wiringFixtures.js';

const builder = testBuilder();
const clientPrivateKey = TEST_CLIENT_KEY;

let sandbox: WiringSandbox;
let stateDir: string;
let confDir: string;

beforeEach(async () => {
  sandbox = await wiringSandbox('bb-stale-');
  ({ stateDir, confDir } = sandbox);
  await fs.writeFile(path.join(confDir, 'nix.conf'), 'keep-outputs = true\n');
});
afterEach(() => sandbox.remove());

const plan = async () =>
  planWiring({ target: { kind: 'confDir', dir: confDir }, builder, clientPrivateKey, clientKeySource: '/state/keys/client_ed25519', record: await readWiringRecord(stateDir) });

it('apply and remove take away the temp files a killed write left, and only those', async () => {
  // What writeFileAtomic leaves when killed before its rename, and a user's look-alike.
  await fs.writeFile(path.join(confDir, '.nix.conf.0123456789ab.tmp'), 'keep-outputs = tr');
  await fs.writeFile(path.join(confDir, '.machines.a1b2c3d4e5f6.tmp'), '');
  await fs.writeFile(path.join(confDir, '.nix.conf.mine.tmp'), 'the user keeps this');
  await applyWiring(await plan(), stateDir);
  expect((await fs.readdir(confDir)).filter((name) => name.endsWith('.tmp'))).toEqual(['.nix.conf.mine.tmp']);

  await fs.writeFile(path.join(confDir, '.known_hosts.ffffffffffff.tmp'), 'half');
  await removeWiring(stateDir);
  expect((await fs.readdir(confDir)).sort()).toEqual(['.nix.conf.mine.tmp', 'nix.conf']);
  expect(await fs.readFile(path.join(confDir, 'nix.conf'), 'utf8')).toBe('keep-outputs = true\n');
});
