/**
 * Per-item notes and problems stay few however much the user's configuration holds (boundedList
 * .ts), through planWiring: thousands of extra-builders lines, broken lines or later builders
 * lines give the first few by name and one that counts the rest.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planWiring } from './planWiring.js';
import { testBuilder, TEST_CLIENT_KEY, wiringSandbox, type WiringSandbox } from './testing/wiringFixtures.js';

let sandbox: WiringSandbox;
beforeEach(async () => {
  sandbox = await wiringSandbox('bb-bounded-');
});
afterEach(() => sandbox.remove());

const plan = (env: NodeJS.ProcessEnv = { NIX_USER_CONF_FILES: '' }) =>
  planWiring({ target: { kind: 'confDir', dir: sandbox.confDir }, builder: testBuilder(), clientPrivateKey: TEST_CLIENT_KEY, record: null, env });

const lines = (n: number, line: (index: number) => string) => `${Array.from({ length: n }, (_, index) => line(index)).join('\n')}\n`;

describe('notes made per line stay few', () => {
  it('3,000 extra-builders lines: five named, the rest counted', async () => {
    await fs.writeFile(path.join(sandbox.confDir, 'nix.conf'), lines(3000, (index) => `extra-builders = ssh://box-${index} x86_64-linux`));
    const planned = await plan();
    expect(planned.summary.match(/sets extra-builders/g)).toHaveLength(5);
    expect(planned.summary).toContain('Note: 2,995 more extra-builders lines, ignored by Nix the same way.');
  });

  it('3,000 broken lines: five problems named, one counting the rest', async () => {
    const nixConf = path.join(sandbox.confDir, 'nix.conf');
    await fs.writeFile(nixConf, lines(3000, (index) => `broken-${index}`));
    const planned = await plan();
    expect(planned.problems).toHaveLength(6);
    expect(planned.problems.at(-1)!.message).toBe(`${nixConf} has 2,995 more lines Nix cannot read (not "key = value", a comment or an include); fix them too, then plan again.`);
  });

  it('a later builders line of 3,000 entries is quoted cut short, and 30 user files: five named, the rest counted', async () => {
    const files = await Promise.all(
      Array.from({ length: 30 }, async (_, index) => {
        const file = path.join(sandbox.root, `user-${index}.conf`);
        await fs.writeFile(file, `builders = ${Array.from({ length: 3000 }, (__, entry) => `ssh://box-${entry} x86_64-linux`).join(' ; ')}\n`);
        return file;
      }),
    );
    const planned = await plan({ NIX_USER_CONF_FILES: files.join(':') });
    expect(planned.summary.match(/sets builders = /g)).toHaveLength(5);
    expect(planned.summary).toContain('Note: 25 more user config files set builders the same way');
    expect(planned.summary.length).toBeLessThan(3000);
  });
});
