/**
 * A machines entry for Builder Bar's own builder outside its block (a stale copy from a manual
 * setup, or a copied line), through planWiring: a copy that connects as ours does is a note (Nix
 * counts the builder twice); one with another port or pinned host key is a problem, since the
 * builds Nix sends to it fail (staleOwnEntries.ts says why).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostKeyBase64 } from './builderEndpoint.js';
import { planWiring } from './planWiring.js';
import { testBuilder, TEST_CLIENT_KEY, wiringSandbox, type WiringSandbox } from './testing/wiringFixtures.js';

let sandbox: WiringSandbox;
let confDir: string;
beforeEach(async () => {
  sandbox = await wiringSandbox('bb-stale-own-');
  confDir = sandbox.confDir;
});
afterEach(() => sandbox.remove());

const builder = testBuilder({ port: 31022, maxJobs: 2 });
const ourKey = hostKeyBase64(builder);
const otherKey = Buffer.from('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtherKeyOtherKeyOtherKeyOtherKeyOtherKeyOther').toString('base64');

const plan = () => planWiring({ target: { kind: 'confDir', dir: confDir }, builder, clientPrivateKey: TEST_CLIENT_KEY, record: null, env: { NIX_USER_CONF_FILES: '' } });

async function write(name: string, text: string): Promise<string> {
  const file = path.join(confDir, name);
  await fs.writeFile(file, text);
  return file;
}

describe('our builder\'s entry outside our block', () => {
  it('in a builders line, same connection: a note naming the file and line; apply is not refused', async () => {
    const nixConf = await write('nix.conf', `max-jobs = 1\nbuilders = ssh://far x86_64-linux ; ssh://builder-bar-linux x86_64-linux /old/key 4 1 - - ${ourKey}\n`);
    const planned = await plan();
    expect(planned.problems).toEqual([]);
    expect(planned.summary).toContain(`Note: ${nixConf} line 2 holds a machines entry for Builder Bar's builder (ssh://builder-bar-linux x86_64-linux /old/key 4 1 - - `);
    expect(planned.summary).toContain('outside Builder Bar\'s block, likely a copy from an earlier setup');
    expect(planned.summary).toContain('Nix counts the builder twice');
    expect(planned.summary).toContain('Delete that entry');
  });

  it('in the user\'s machines file with another port: a problem with the file and line', async () => {
    const theirs = await write('their-machines', '# old manual setup\nssh://builder@builder-bar-linux:2222 x86_64-linux\n');
    await write('nix.conf', `builders = @${theirs}\n`);
    const planned = await plan();
    expect(planned.problems).toEqual([
      expect.objectContaining({ path: theirs, lineNumber: 2, message: expect.stringContaining('names port 2222, where builder-bar-linux is reached on port 31022') }),
    ]);
    expect(planned.problems[0]!.message).toContain('Delete that entry');
  });

  it('with another pinned host key: a problem (builds sent to it fail host key verification)', async () => {
    const theirs = await write('their-machines', `ssh-ng://builder-bar-linux x86_64-linux - 1 1 - - ${otherKey}\n`);
    await write('nix.conf', `builders = @${theirs}\n`);
    const planned = await plan();
    expect(planned.problems.map((problem) => [problem.path, problem.lineNumber])).toEqual([[theirs, 1]]);
    expect(planned.problems[0]!.message).toContain('Host key verification failed');
  });

  it('above our block in our own machines file: a note; our block\'s own line never is', async () => {
    const first = await plan();
    const machines = first.files.find((file) => file.role === 'machines')!;
    await fs.writeFile(machines.path, machines.after);
    expect((await plan()).summary).not.toContain('outside Builder Bar\'s block');
    await fs.writeFile(machines.path, `ssh://builder-bar-linux x86_64-linux\n${machines.after}`);
    const again = await plan();
    expect(again.problems).toEqual([]);
    expect(again.summary).toContain(`Note: ${machines.path} line 1 holds a machines entry for Builder Bar's builder`);
  });

  it('other builders are not ours: nothing said here', async () => {
    await write('nix.conf', 'builders = ssh://builder-bar-linux-old x86_64-linux ; ssh://big-box x86_64-linux\n');
    const planned = await plan();
    expect(planned.problems).toEqual([]);
    expect(planned.summary).not.toContain('outside Builder Bar\'s block');
  });

  it('3,000 copies: the first few are named, the rest counted', async () => {
    const copies = Array.from({ length: 3000 }, () => 'ssh://builder-bar-linux x86_64-linux').join('\n');
    const theirs = await write('their-machines', `${copies}\n`);
    await write('nix.conf', `builders = @${theirs}\n`);
    const planned = await plan();
    expect(planned.summary.match(/holds a machines entry/g)).toHaveLength(5);
    expect(planned.summary).toContain('Note: 2,995 more such entries');
  });
});
