/**
 * Records the real `--log-format internal-json` activity streams the parser and queue tests run
 * against: the Nix Builder Bar finds (Nix 2.8 on this machine; BUILDER_BAR_NIX_BIN_DIR picks another) building tiny.nix locally (success, failure, several
 * derivations) and delegated to the real linux-test guest (several derivations with copies, a
 * failure). Each fixture is nix-build's stderr, verbatim, one line per line.
 *
 * Run (it boots QEMU for the remote ones, ≈30 s; every QEMU it starts is killed before it exits):
 *   npx esbuild electron/core/builds/testing/recordFixtures.ts --bundle --platform=node \
 *     --format=esm --packages=external --outfile=out/record-fixtures.mjs && node out/record-fixtures.mjs
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { environmentNix } from '../../nix/nixInstallation.js';
import { writeLocalNixConf, writeRemoteNixConf, type NixEnvironment } from './nixTestConf.js';
import { bootTestBuilder } from './testBuilder.js';

// Bundled to /tmp, so the repository is found from the working directory (the repo root).
const buildsDir = path.resolve(process.cwd(), 'electron/core/builds');
const tinyNix = path.join(buildsDir, 'testing', 'tiny.nix');
const fixturesDir = path.join(buildsDir, 'fixtures');

interface Recording {
  name: string;
  attr: string;
  env: NixEnvironment;
  remote: boolean;
}

async function record({ name, attr, env, remote }: Recording): Promise<void> {
  const args = [tinyNix, '-A', attr, '--argstr', 'nonce', `${name}-${Date.now()}`, '--no-out-link', '--log-format', 'internal-json', '-v'];
  if (remote) args.push('--max-jobs', '0');
  // The Nix Builder Bar would run (BUILDER_BAR_NIX_BIN_DIR picks another version), by absolute path.
  const nixBuild = (await environmentNix().require()).programs['nix-build'];
  const result = await execa(nixBuild, args, { env, extendEnv: true, reject: false });
  await fs.writeFile(path.join(fixturesDir, `${name}.jsonl`), result.stderr.endsWith('\n') ? result.stderr : `${result.stderr}\n`, { mode: 0o644 });
  await fs.writeFile(path.join(fixturesDir, `${name}.stdout`), result.stdout === '' ? '' : `${result.stdout}\n`, { mode: 0o644 });
  console.log(`${name}: exit ${result.exitCode}, ${result.stderr.split('\n').length} stderr lines, stdout ${JSON.stringify(result.stdout)}`);
}

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'bb-record-'));
  try {
    const local = await writeLocalNixConf(path.join(root, 'local-conf'));
    await record({ name: 'local-success', attr: 'success', env: local, remote: false });
    await record({ name: 'local-failure', attr: 'failure', env: local, remote: false });
    await record({ name: 'local-several', attr: 'joined', env: local, remote: false });

    const builder = await bootTestBuilder(path.join(root, 'state'), (text) => console.log(text));
    try {
      const remote = await writeRemoteNixConf(path.join(root, 'remote-conf'), { keysDir: builder.paths.keysDir, sshPort: builder.sshPort });
      await record({ name: 'remote-several', attr: 'joined', env: remote, remote: true });
      await record({ name: 'remote-failure', attr: 'failure', env: remote, remote: true });
    } finally {
      await builder.shutdown();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
