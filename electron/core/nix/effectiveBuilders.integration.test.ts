/**
 * effectiveBuilders.ts against the real Nix of each version (no guest): for every form of the
 * user's `builders`, the value Nix itself reports (`nix show-config --json`) is the one
 * effectiveBuilders() computes, and after `apply` Nix's value is our block's: the user's entries
 * then our machines file. Only the conf dir counts (NIX_USER_CONF_FILES points nowhere,
 * NIX_CONFIG is unset), as for root's nix-daemon.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyWiring, removeWiring } from './applyWiring.js';
import { effectiveBuilders, readConfFiles } from './effectiveBuilders.js';
import { parseConfigJson, settingString } from './nixConfigParse.js';
import { planWiring } from './planWiring.js';
import { targetLayout } from './wiringTarget.js';
import { nixVersions, type TestNix } from './testing/nixVersions.js';
import { testBuilder, TEST_CLIENT_KEY, wiringSandbox, type WiringSandbox } from './testing/wiringFixtures.js';

let sandbox: WiringSandbox;
beforeEach(async () => {
  sandbox = await wiringSandbox('bb-effective-builders-');
});
afterEach(async () => {
  try {
    await removeWiring(sandbox.stateDir);
  } finally {
    sandbox.remove();
  }
});

async function nixBuilders(nix: TestNix, confDir: string): Promise<string> {
  const { NIX_CONFIG: _ignored, ...env } = process.env;
  const result = await execa(path.join(nix.binDir, 'nix'), ['--extra-experimental-features', 'nix-command', 'show-config', '--json'], {
    env: { ...env, NIX_CONF_DIR: confDir, NIX_USER_CONF_FILES: path.join(confDir, 'no-user-conf') },
    extendEnv: false,
    stdin: 'ignore',
    timeout: 60_000,
  });
  return settingString(parseConfigJson(String(result.stdout)).get('builders'));
}

/** Each form: the user's files, relative to the conf dir (`DIR` stands for the conf dir). */
const forms: Array<{ name: string; files: Record<string, string> }> = [
  { name: 'the issue\'s line', files: { 'nix.conf': 'builders = ssh://me@far-away x86_64-linux - 1 1\n' } },
  { name: 'one line, several ";" entries with spaces', files: { 'nix.conf': 'builders = ssh://a x86_64-linux ;  @DIR/theirs ; ssh://b aarch64-linux\n' } },
  { name: 'several builders lines', files: { 'nix.conf': 'builders = ssh://first x86_64-linux\nbuilders = ssh://last x86_64-linux - 2 1\n' } },
  { name: 'several @file entries', files: { 'nix.conf': 'builders = @DIR/a-machines;@DIR/b-machines\n', 'a-machines': 'ssh://a x86_64-linux\nssh://b x86_64-linux\n' } },
  { name: 'include (relative) and !include of a missing file', files: { 'nix.conf': 'include sub/b.conf\n!include nowhere.conf\n', 'sub/b.conf': 'builders = ssh://inc x86_64-linux\n' } },
  { name: 'extra-builders (ignored by Nix)', files: { 'nix.conf': 'builders = ssh://a x86_64-linux\nextra-builders = ssh://b x86_64-linux\n' } },
  { name: 'nothing set', files: { 'nix.conf': 'keep-outputs = true\n' } },
  // Both versions warn "unknown setting '\uFEFFbuilders'" and keep the default (byteOrderMark.ts).
  { name: 'a UTF-8 BOM before the first setting (Nix ignores that line)', files: { 'nix.conf': '\uFEFFbuilders = ssh://bom x86_64-linux\nmax-jobs = 1\n' } },
];

describe.each(nixVersions())('$label reads the user\'s builders as effectiveBuilders says', (nix) => {
  it.each(forms)('$name: the same value before apply, then theirs followed by ours', async ({ files }) => {
    const dir = sandbox.confDir;
    for (const [name, text] of Object.entries(files)) {
      const file = path.join(dir, name);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, text.replaceAll('DIR', dir));
    }
    const layout = targetLayout({ kind: 'confDir', dir });
    const computed = effectiveBuilders(layout.nixConf, await readConfFiles(layout.nixConf), layout.defaultBuilders);
    expect(computed.problems).toEqual([]);
    expect(await nixBuilders(nix, dir)).toBe(computed.value);

    const planned = await planWiring({ target: { kind: 'confDir', dir }, builder: testBuilder(), clientPrivateKey: TEST_CLIENT_KEY, record: null });
    expect(planned.problems).toEqual([]);
    await applyWiring(planned, sandbox.stateDir);
    const ours = `@${layout.machines}`;
    const expected = [...computed.entries.filter((entry) => entry !== ours), ours].join(';');
    expect(await nixBuilders(nix, dir)).toBe(expected);
  });

  it('include of a missing file: Nix refuses to start, and plan says so instead of planning', async () => {
    const dir = sandbox.confDir;
    await fs.writeFile(path.join(dir, 'nix.conf'), 'include nowhere.conf\n');
    await expect(nixBuilders(nix, dir)).rejects.toThrow(/included from .* not found/);
    const planned = await planWiring({ target: { kind: 'confDir', dir }, builder: testBuilder(), clientPrivateKey: TEST_CLIENT_KEY, record: null });
    expect(planned.problems.map((problem) => problem.message).join('\n')).toContain(`includes ${path.join(dir, 'nowhere.conf')}, which does not exist`);
  });
});
