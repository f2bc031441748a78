/**
 * Real Nix (the host's 2.8 and the current one) reads a conf dir laid out like Determinate's as
 * wiringReadOrder.ts says: our block in nix.custom.conf is in force unless nix.conf sets
 * builders after its `!include nix.custom.conf`, and then oursOverridden() names that line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withMarkedBlock } from './markedBlock.js';
import { parseConfigJson, settingString } from './nixConfigParse.js';
import { nixVersions, type TestNix } from './testing/nixVersions.js';
import { oursOverridden } from './wiringReadOrder.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'bb-determinate-nix-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function nixBuilders(nix: TestNix): Promise<string> {
  const { NIX_CONFIG: _ignored, ...env } = process.env;
  const result = await execa(path.join(nix.binDir, 'nix'), ['--extra-experimental-features', 'nix-command', 'show-config', '--json'], {
    env: { ...env, NIX_CONF_DIR: dir, NIX_USER_CONF_FILES: path.join(dir, 'no-user-conf') },
    extendEnv: false,
    stdin: 'ignore',
    timeout: 60_000,
  });
  return settingString(parseConfigJson(String(result.stdout)).get('builders'));
}

describe.each(nixVersions())('$label and Determinate\'s layout', (nix) => {
  it('a builders line after `!include nix.custom.conf` beats our block; without it ours is in force', async () => {
    const main = path.join(dir, 'nix.conf');
    const custom = path.join(dir, 'nix.custom.conf');
    const ours = `@${path.join(dir, 'builder-bar-machines')}`;
    const customText = withMarkedBlock('max-jobs = 1\n', [`builders = ${ours}`]);
    await fs.writeFile(custom, customText);

    await fs.writeFile(main, '!include nix.custom.conf\nbuilders = ssh://late x86_64-linux\n');
    expect(await nixBuilders(nix)).toBe('ssh://late x86_64-linux');
    expect(await oursOverridden(main, custom, customText, `@${path.join(dir, 'machines')}`)).toMatchObject({ path: main, lineNumber: 2 });

    await fs.writeFile(main, 'builders = ssh://early x86_64-linux\n!include nix.custom.conf\n');
    expect(await nixBuilders(nix)).toBe(ours);
    expect(await oursOverridden(main, custom, customText, `@${path.join(dir, 'machines')}`)).toBeNull();
  });
});
