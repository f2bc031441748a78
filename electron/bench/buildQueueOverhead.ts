/**
 * Benchmark: 20 tiny derivations built through Builder Bar's queue (`builds.start`, the
 * internal-json parser, the queue, events) vs a plain `nix-build` against the same builder with
 * the same wiring, alternating rounds. Each round writes a new nonce so nothing is cached.
 * Target ratio at most 1.05. Both sides run the same Nix: the one the core runs (its nixBinDir
 * setting, see nix/nixInstallation.ts), by absolute path, never a bare `nix-build` from PATH;
 * run.ts measures it once per Nix version.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import type { BuildView } from '../ipc/contract.js';
import type { Core } from '../core/core.js';
import { appliedBuildEnvironment } from '../core/nix/appliedEnvironment.js';

export interface BuildQueueOverheadResult {
  /** The Nix both sides ran: "2.34.8", and its directory. */
  nixVersion: string;
  nixBinDir: string;
  builderBarMs: number[];
  plainMs: number[];
}

/** The core must be ready and its wiring applied; `NIX_CONFIG=max-jobs = 0` keeps builds off this host. */
export async function benchBuildQueueOverhead(core: Core, stateDir: string, rounds: number): Promise<BuildQueueOverheadResult> {
  const env = { ...(await appliedBuildEnvironment(stateDir)), NIX_CONFIG: 'max-jobs = 0' };
  const { nix } = await core.handle('app.info', {}, 'cli');
  if (!nix.found) throw new Error(`the core has no Nix to run: ${nix.reason}`);
  const nixBuild = path.join(nix.binDir, 'nix-build');
  const builderBarMs: number[] = [];
  const plainMs: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const viaCore = await twentyDerivations(stateDir, `bb-${round}-${Date.now()}`);
    let started = performance.now();
    const view = await buildThroughCore(core, viaCore);
    builderBarMs.push(performance.now() - started);
    if (view.state !== 'succeeded') throw new Error(`the build through Builder Bar ${view.state}: ${view.error}`);

    const plain = await twentyDerivations(stateDir, `plain-${round}-${Date.now()}`);
    started = performance.now();
    const result = await execa(nixBuild, [plain, '--no-out-link'], { env, reject: false });
    plainMs.push(performance.now() - started);
    if (result.exitCode !== 0) throw new Error(`plain nix-build failed: ${result.stderr.slice(-500)}`);
  }
  return { nixVersion: nix.version, nixBinDir: nix.binDir, builderBarMs, plainMs };
}

async function twentyDerivations(dir: string, nonce: string): Promise<string> {
  const file = path.join(dir, `twenty-${nonce}.nix`);
  await writeFile(
    file,
    `builtins.genList (i: builtins.derivation {
       name = "tiny-\${toString i}";
       system = "x86_64-linux";
       builder = "/bin/sh";
       args = [ "-c" "echo \${toString i} > $out" ];
       nonce = "${nonce}";
     }) 20\n`,
  );
  return file;
}

function buildThroughCore(core: Core, file: string): Promise<BuildView> {
  return new Promise((resolve, reject) => {
    let id: string | null = null;
    const early: BuildView[] = [];
    const finish = (view: BuildView): boolean => {
      if (!['succeeded', 'failed', 'cancelled'].includes(view.state)) return false;
      unsubscribe();
      resolve(view);
      return true;
    };
    const unsubscribe = core.subscribe((event) => {
      if (event.name !== 'build') return;
      if (id === null) early.push(event.payload);
      else if (event.payload.id === id) finish(event.payload);
    });
    core.handle('builds.start', { target: { kind: 'file', file } }, 'cli').then((view) => {
      id = view.id;
      for (const seen of early) if (seen.id === id && finish(seen)) return;
    }, reject);
  });
}
