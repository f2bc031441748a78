/**
 * What users do to our markers after apply, through plan, apply and remove on a config directory:
 * - an editor saves nix.conf with CRLF line endings (the file came from Windows, or the editor
 *   normalises): our END marker then ends in "\r". It is still our block: plan must not add a
 *   second one, and remove must take it out (it used to leave it, saying it had removed it).
 * - a user deletes our END line (it looks like a stray comment) and adds a line under our
 *   block: nothing can tell where our lines stop. Plan reports the line and plans nothing for
 *   the file, apply refuses, and remove leaves every byte of it (it used to add a second block,
 *   and a later remove then deleted the user's line along with both blocks).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { applyWiring, removeWiring } from './applyWiring.js';
import { BLOCK_BEGIN, BLOCK_END } from './markedBlock.js';
import { planWiring } from './planWiring.js';
import { readWiringRecord } from './wiringRecord.js';
import { testBuilder, TEST_CLIENT_KEY, wiringSandbox, type WiringSandbox } from './testing/wiringFixtures.js';
import type { WiringTarget } from './wiringTarget.js';

let sandbox: WiringSandbox;
let target: WiringTarget;
let nixConf: string;

beforeEach(async () => {
  sandbox = await wiringSandbox('bb-markers-');
  target = { kind: 'confDir', dir: sandbox.confDir };
  nixConf = path.join(sandbox.confDir, 'nix.conf');
});
afterEach(() => sandbox.remove());

const plan = async () => planWiring({ target, builder: testBuilder(), clientPrivateKey: TEST_CLIENT_KEY, record: await readWiringRecord(sandbox.stateDir) });
const count = (text: string, part: string) => text.split(part).length - 1;

it('a nix.conf saved with CRLF after apply: plan keeps one block, remove takes it out and keeps the CRLF lines', async () => {
  await fs.writeFile(nixConf, 'keep-outputs = true\r\n');
  await applyWiring(await plan(), sandbox.stateDir);
  const crlf = (await fs.readFile(nixConf, 'utf8')).replace(/\r?\n/g, '\r\n');
  await fs.writeFile(nixConf, crlf);

  const again = await plan();
  expect(again.problems).toEqual([]);
  const planned = again.files.find((file) => file.role === 'nix.conf')!;
  expect(count(planned.after, BLOCK_BEGIN)).toBe(1);
  expect(planned.after.startsWith('keep-outputs = true\r\n')).toBe(true);

  const removed = await removeWiring(sandbox.stateDir);
  expect(await fs.readFile(nixConf, 'utf8')).toBe('keep-outputs = true\r\n');
  expect(removed.blockRemoved).toEqual([nixConf]);
});

it('our END line deleted by hand: plan names the line and plans nothing for nix.conf, apply refuses, remove changes no byte', async () => {
  await fs.writeFile(nixConf, 'keep-outputs = true\n');
  await applyWiring(await plan(), sandbox.stateDir);
  const edited = `${(await fs.readFile(nixConf, 'utf8')).replace(`${BLOCK_END}\n`, '')}keep-derivations = true\n`;
  await fs.writeFile(nixConf, edited);

  const refused = await plan();
  expect(refused.files.map((file) => file.role)).not.toContain('nix.conf');
  expect(refused.problems).toEqual([
    expect.objectContaining({ path: nixConf, lineNumber: 2, message: expect.stringMatching(/line 2 opens Builder Bar's block .* no "# END builder-bar" line closes it.*changes no byte of this file.*plan again/) }),
  ]);
  await expect(applyWiring(refused, sandbox.stateDir)).rejects.toThrow(/line 2 opens Builder Bar's block/);
  expect(await fs.readFile(nixConf, 'utf8')).toBe(edited);

  const removed = await removeWiring(sandbox.stateDir);
  expect(await fs.readFile(nixConf, 'utf8')).toBe(edited);
  expect(removed.blockRemoved).toEqual([]);
  expect(removed.notes.join('\n')).toMatch(/nix\.conf line 2 opens Builder Bar's block.*left as it is.*the original is kept at/);
});
