/**
 * A nix.conf saved with a UTF-8 byte order mark: Nix 2.8 and 2.34 ignore a setting on line 1
 * ("unknown setting '<BOM>builders'") and refuse a comment or include there (byteOrderMark.ts
 * says what was measured; effectiveBuilders.integration.test.ts checks the first against real
 * Nix). The plan reads it as Nix does and tells the user why their line 1 does nothing.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planWiring } from './planWiring.js';
import { testBuilder, TEST_CLIENT_KEY, wiringSandbox, type WiringSandbox } from './testing/wiringFixtures.js';

let sandbox: WiringSandbox;
beforeEach(async () => {
  sandbox = await wiringSandbox('bb-bom-');
});
afterEach(() => sandbox.remove());

const plan = () =>
  planWiring({ target: { kind: 'confDir', dir: sandbox.confDir }, builder: testBuilder(), clientPrivateKey: TEST_CLIENT_KEY, record: null, env: { NIX_USER_CONF_FILES: '' } });

describe('a UTF-8 BOM at the start of nix.conf', () => {
  it('before a setting: not restated (as Nix ignores it), and the plan names the file and how to fix it', async () => {
    const nixConf = path.join(sandbox.confDir, 'nix.conf');
    const original = '\uFEFFbuilders = ssh://bom-box x86_64-linux\nmax-jobs = 1\n';
    await fs.writeFile(nixConf, original);
    const planned = await plan();
    expect(planned.problems).toEqual([]);
    const after = planned.files.find((file) => file.role === 'nix.conf')!.after;
    // Byte for byte, mark included: only our block is added.
    expect(after.startsWith(original)).toBe(true);
    expect(after).toContain(`builders = @${path.join(sandbox.confDir, 'machines')}\n`);
    expect(planned.summary).toContain(`Note: ${nixConf} starts with a UTF-8 byte order mark (BOM, bytes EF BB BF), so Nix ignores its line 1 ("unknown setting 'builders'")`);
    expect(planned.summary).toContain('"builders = ssh://bom-box x86_64-linux" is not in force');
    expect(planned.summary).toContain('without a BOM');
  });

  it('before a comment: Nix refuses the file, and the problem says the invisible mark is why', async () => {
    await fs.writeFile(path.join(sandbox.confDir, 'nix.conf'), '\uFEFF# my settings\nmax-jobs = 1\n');
    const planned = await plan();
    expect(planned.problems).toHaveLength(1);
    expect(planned.problems[0]).toMatchObject({ lineNumber: 1, message: expect.stringContaining('invisible UTF-8 byte order mark (BOM, bytes EF BB BF)') });
  });

  it('no mark, no note', async () => {
    await fs.writeFile(path.join(sandbox.confDir, 'nix.conf'), 'builders = ssh://box x86_64-linux\n');
    expect((await plan()).summary).not.toContain('byte order mark');
  });
});
