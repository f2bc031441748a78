/**
 * Records the real `--log-format internal-json` activity streams the parser and queue tests run
 * against, from every Nix version tests know (nixVersions(): the host's Nix 2.8 and the current
 * Nix that `npm test` sets up): tiny.nix built locally (success, failure, several derivations)
 * and delegated to the real linux-test guest (success, several derivations with copies, a
 * failure). Each fixture is nix-build's stderr, verbatim, one line per line, named
 * `<case>.nix-<version>.jsonl` (stdout beside it as `.stdout`); fixtures.ts finds them.
 *
 * Run (it boots QEMU once for all the remote ones, ≈30 s; every QEMU it starts is killed before it exits):
 *   npx esbuild electron/core/builds/testing/recordFixtures.ts --bundle --platform=node \
 *     --format=esm --packages=external --outfile=out/record-fixtures.mjs && node out/record-fixtures.mjs
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { nixVersions, type TestNix } from '../../nix/testing/nixVersions.js';
import { fixtureFileName } from './fixtures.js';
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
  nix: TestNix;
}

async function record({ name, attr, env, remote, nix }: Recording): Promise<void> {
  const args = [tinyNix, '-A', attr, '--argstr', 'nonce', `${name}-${Date.now()}`, '--no-out-link', '--log-format', 'internal-json', '-v'];
  if (remote) args.push('--max-jobs', '0');
  // That version's nix-build by absolute path, as Builder Bar runs it.
  const result = await execa(path.join(nix.binDir, 'nix-build'), args, { env, extendEnv: true, reject: false });
  const file = path.join(fixturesDir, fixtureFileName(name, nix.version));
  await fs.writeFile(file, result.stderr.endsWith('\n') ? result.stderr : `${result.stderr}\n`, { mode: 0o644 });
  await fs.writeFile(file.replace(/\.jsonl$/, '.stdout'), result.stdout === '' ? '' : `${result.stdout}\n`, { mode: 0o644 });
  console.log(`${path.basename(file)}: exit ${result.exitCode}, ${result.stderr.split('\n').length} stderr lines, stdout ${JSON.stringify(result.stdout)}`);
}

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'bb-record-'));
  const versions = nixVersions();
  console.log(`recording from ${versions.map((nix) => nix.label).join(', ')}`);
  try {
    const local = await writeLocalNixConf(path.join(root, 'local-conf'));
    for (const nix of versions) {
      await record({ name: 'local-success', attr: 'success', env: local, remote: false, nix });
      await record({ name: 'local-failure', attr: 'failure', env: local, remote: false, nix });
      await record({ name: 'local-several', attr: 'joined', env: local, remote: false, nix });
    }

    const builder = await bootTestBuilder(path.join(root, 'state'), (text) => console.log(text));
    try {
      const remote = await writeRemoteNixConf(path.join(root, 'remote-conf'), { keysDir: builder.paths.keysDir, sshPort: builder.sshPort, user: builder.sshUser });
      for (const nix of versions) {
        await record({ name: 'remote-success', attr: 'success', env: remote, remote: true, nix });
        await record({ name: 'remote-several', attr: 'joined', env: remote, remote: true, nix });
        await record({ name: 'remote-failure', attr: 'failure', env: remote, remote: true, nix });
      }
    } finally {
      await builder.shutdown();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
