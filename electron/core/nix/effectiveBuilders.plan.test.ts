/**
 * The user's builders in every form Nix 2.8 and 2.34 accept, through planWiring: what our block
 * restates, and what plan says when Nix itself would refuse the configuration. (These go through
 * planWiring only, so they also run against older planWiring code; effectiveBuilders.integration
 * .test.ts checks the same forms against the real Nix of each version.)
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BLOCK_BEGIN, BLOCK_END } from './markedBlock.js';
import { planWiring, type WiringPlan } from './planWiring.js';
import { testBuilder, TEST_CLIENT_KEY, wiringSandbox, type WiringSandbox } from './testing/wiringFixtures.js';

let sandbox: WiringSandbox;
let confDir: string;
let ours: string;

beforeEach(async () => {
  sandbox = await wiringSandbox('bb-users-builders-');
  confDir = sandbox.confDir;
  ours = `@${path.join(confDir, 'machines')}`;
});
afterEach(() => sandbox.remove());

async function write(relative: string, text: string): Promise<string> {
  const file = path.join(confDir, relative);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, text);
  return file;
}

/** No user config files and no NIX_CONFIG unless a test gives them. */
const plan = (env: NodeJS.ProcessEnv = { NIX_USER_CONF_FILES: '' }) =>
  planWiring({ target: { kind: 'confDir', dir: confDir }, builder: testBuilder(), clientPrivateKey: TEST_CLIENT_KEY, record: null, env });

/** Our block's `builders` value in the planned nix.conf. */
function ourBuilders(planned: WiringPlan): string {
  const nixConf = planned.files.find((file) => file.role === 'nix.conf');
  if (!nixConf) throw new Error(`no nix.conf planned: ${planned.problems.map((problem) => problem.message).join('; ')}`);
  const block = nixConf.after.slice(nixConf.after.indexOf(BLOCK_BEGIN), nixConf.after.indexOf(BLOCK_END));
  const line = block.split('\n').find((text) => text.startsWith('builders = '));
  if (!line) throw new Error(`no builders line in our block:\n${block}`);
  return line.slice('builders = '.length);
}

describe('the user\'s builders, kept (as Nix 2.8 and 2.34 read them)', () => {
  it('the issue\'s line `builders = ssh://me@far-away x86_64-linux - 1 1`: kept, ours after a bare ";"', async () => {
    const original = 'builders = ssh://me@far-away x86_64-linux - 1 1\n';
    await write('nix.conf', original);
    const planned = await plan();
    expect(planned.problems).toEqual([]);
    expect(ourBuilders(planned)).toBe(`ssh://me@far-away x86_64-linux - 1 1;${ours}`);
    expect(planned.files.find((file) => file.role === 'nix.conf')!.after.startsWith(original)).toBe(true);
  });

  it('one line with several ";"-separated entries: each kept verbatim, in order, ours last', async () => {
    await write('nix.conf', 'builders = ssh://a x86_64-linux ; ssh://b aarch64-linux - 2 ;@/etc/nix/their-machines\n');
    expect(ourBuilders(await plan())).toBe(`ssh://a x86_64-linux;ssh://b aarch64-linux - 2;@/etc/nix/their-machines;${ours}`);
  });

  it('several builders lines: the last one wins, as in Nix', async () => {
    await write('nix.conf', 'builders = ssh://first x86_64-linux\nmax-jobs = 2\nbuilders = ssh://last x86_64-linux\n');
    expect(ourBuilders(await plan())).toBe(`ssh://last x86_64-linux;${ours}`);
  });

  it('several @file entries are kept as references (Nix reads them when it builds), ours never twice', async () => {
    await write('nix.conf', `builders = @/etc/nix/machines-a ; @/etc/nix/machines-b;${ours}\n`);
    expect(ourBuilders(await plan())).toBe(`@/etc/nix/machines-a;@/etc/nix/machines-b;${ours}`);
  });

  it('builders set in an included file, path relative to the including file\'s directory', async () => {
    await write('nix.conf', 'keep-outputs = true\ninclude sub/builders.conf\n');
    await write('sub/builders.conf', 'builders = ssh://included x86_64-linux\n!include deeper.conf\n');
    await write('sub/deeper.conf', 'builders = ssh://deeper x86_64-linux;@machines-of-mine\n');
    expect(ourBuilders(await plan())).toBe(`ssh://deeper x86_64-linux;@machines-of-mine;${ours}`);
  });

  it('a builders line after an include wins over the included one', async () => {
    await write('nix.conf', 'include other.conf\nbuilders = ssh://after x86_64-linux\n');
    await write('other.conf', 'builders = ssh://included x86_64-linux\n');
    expect(ourBuilders(await plan())).toBe(`ssh://after x86_64-linux;${ours}`);
  });

  it('!include of a missing file is skipped, as Nix does', async () => {
    await write('nix.conf', 'builders = ssh://me@far-away x86_64-linux - 1 1\n!include does-not-exist.conf\n');
    const planned = await plan();
    expect(planned.problems).toEqual([]);
    expect(ourBuilders(planned)).toBe(`ssh://me@far-away x86_64-linux - 1 1;${ours}`);
  });

  it('include of a missing file: a clear problem with its line (Nix refuses to start), nix.conf untouched', async () => {
    const original = 'builders = ssh://a x86_64-linux\ninclude does-not-exist.conf\n';
    const file = await write('nix.conf', original);
    const planned = await plan();
    expect(planned.problems).toHaveLength(1);
    expect(planned.problems[0]).toMatchObject({ path: file, lineNumber: 2 });
    expect(planned.problems[0]!.message).toContain(`includes ${path.join(confDir, 'does-not-exist.conf')}, which does not exist`);
    expect(planned.problems[0]!.message).toContain('!include');
    expect(planned.files.map((entry) => entry.role)).not.toContain('nix.conf');
    expect(await fs.readFile(file, 'utf8')).toBe(original);
  });

  it('a malformed line in an included file is a problem too (Nix refuses the whole configuration)', async () => {
    await write('nix.conf', 'include other.conf\n');
    const other = await write('other.conf', 'builders=ssh://a x86_64-linux\n');
    const planned = await plan();
    expect(planned.problems.map((problem) => [problem.path, problem.lineNumber])).toEqual([[other, 1]]);
  });

  it('an include loop is a problem, not a hang', async () => {
    await write('nix.conf', 'include a.conf\n');
    await write('a.conf', 'include nix.conf\n');
    const planned = await plan();
    expect(planned.problems[0]?.message).toContain('forever');
  });

  it('extra-builders is ignored by Nix (a string setting cannot be appended to): not restated, and the plan says so', async () => {
    await write('nix.conf', 'builders = ssh://a x86_64-linux\nextra-builders = ssh://b x86_64-linux\n');
    const planned = await plan();
    expect(ourBuilders(planned)).toBe(`ssh://a x86_64-linux;${ours}`);
    expect(planned.summary).toContain('extra-builders');
  });

  it('nothing set anywhere: Nix\'s default for the conf dir is our machines file, named once', async () => {
    await write('nix.conf', 'keep-outputs = true\n');
    expect(ourBuilders(await plan())).toBe(ours);
  });

  it('a builders line a client reads after nix.conf (~/.config/nix/nix.conf, NIX_CONFIG) replaces ours: the plan names it', async () => {
    await write('nix.conf', 'builders = ssh://a x86_64-linux\n');
    const home = await write('home/.config/nix/nix.conf', 'keep-outputs = true\nbuilders = ssh://mine x86_64-linux\n');
    const planned = await plan({ HOME: path.join(confDir, 'home'), XDG_CONFIG_DIRS: path.join(confDir, 'none'), NIX_CONFIG: 'max-jobs = 2\nbuilders = ssh://env x86_64-linux' });
    expect(planned.problems).toEqual([]);
    expect(ourBuilders(planned)).toBe(`ssh://a x86_64-linux;${ours}`);
    expect(planned.summary).toContain(`${home} line 2 sets builders = ssh://mine x86_64-linux`);
    expect(planned.summary).toContain('NIX_CONFIG line 2 sets builders = ssh://env x86_64-linux');
    expect(planned.summary).toContain(`Add ";${ours}" to that line`);
  });

  it('without such lines the summary says nothing more', async () => {
    await write('nix.conf', 'builders = ssh://a x86_64-linux\n');
    await write('home/.config/nix/nix.conf', 'keep-outputs = true\n');
    const planned = await plan({ HOME: path.join(confDir, 'home'), XDG_CONFIG_DIRS: path.join(confDir, 'none') });
    expect(planned.summary).not.toContain('Note:');
  });
});
