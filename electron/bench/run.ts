/**
 * `npm run bench`: Builder Bar's benchmarks. Each prints its figures next to a bare baseline
 * measured in the same run, and the ratio; none of them is a pass/fail test.
 *
 *   BENCH_ROUNDS=N          start-to-ready rounds (default 3)
 *   BENCH_IDLE_SECONDS=N    idle window (default 60)
 *   BENCH_ONLY=a,b          only these: start, snapshot, idle, queue, scale, logview, baselines, logsocket, ondemand (default all)
 *   BENCH_NIX_BIN_DIRS=a:b  the queue bench's Nix versions (default: every one tests know, i.e.
 *                           the host's and the current Nix `npm test` sets up)
 *   BENCH_LOGVIEW_*         see logViewSection.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Core } from '../core/core.js';
import { createCore } from '../core/createCore.js';
import { runNixCommand } from '../doors/cli/nixCommand.js';
import { benchBuildQueueOverhead } from './buildQueueOverhead.js';
import { nixVersions } from '../core/nix/testing/nixVersions.js';
import { benchIdleFootprint, defaultBinJs, type ReadyBy } from './idleFootprint.js';
import { logViewSection } from './logViewSection.js';
import { baselinesSection } from './baselines.js';
import { buildStreamScaleSection } from './buildStreamScale.js';
import { logSocketSection } from './logSocketOverhead.js';
import { benchOnDemand } from './onDemandBench.js';
import { benchSnapshotStart } from './snapshotStart.js';
import { benchStartToReady, median } from './startToReady.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const idleSeconds = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
const only = new Set((process.env.BENCH_ONLY ?? 'start,snapshot,idle,queue,scale,logview,baselines,logsocket,ondemand').split(',').map((name) => name.trim()));
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  const stateDir = await mkdtemp(path.join(os.homedir(), '.bb-bench-'));
  try {
    if (only.has('start')) await startToReadySection(stateDir);
    if (only.has('snapshot')) await snapshotSection(stateDir);
    if (only.has('idle')) await idleSection(stateDir);
    if (only.has('queue')) await queueSection(stateDir);
    if (only.has('scale')) buildStreamScaleSection(rounds);
    if (only.has('logview')) await logViewSection();
    if (only.has('baselines')) await baselinesSection(rounds);
    if (only.has('logsocket')) await logSocketSection(rounds);
    if (only.has('ondemand')) await onDemandSection(await mkdtemp(path.join(os.homedir(), '.bb-bench-ondemand-')));
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

async function startToReadySection(stateDir: string): Promise<void> {
  console.log(`start to ready, ${rounds} alternating rounds (target ratio <= 1.05)`);
  const start = await benchStartToReady(stateDir, rounds);
  console.log(`  Builder Bar     ${start.builderBarMs.map(seconds).join('  ')}   median ${seconds(median(start.builderBarMs))}`);
  console.log(`  bare qemu+ssh   ${start.bareMs.map(seconds).join('  ')}   median ${seconds(median(start.bareMs))}`);
  console.log(`  ratio           ${start.ratio.toFixed(3)}`);
}

async function snapshotSection(stateDir: string): Promise<void> {
  console.log(`\nstopped -> ready, cold boot vs restore of the snapshot, same settings, ${rounds} rounds (target ratio <= 0.2, restore <= 2 s)`);
  const result = await benchSnapshotStart(stateDir, rounds);
  console.log(`  cold boot (saves a snapshot)  ${result.coldMs.map(seconds).join('  ')}   median ${seconds(median(result.coldMs))}`);
  console.log(`  restore                       ${result.restoreMs.map(seconds).join('  ')}   median ${seconds(median(result.restoreMs))}`);
  console.log(`  ratio                         ${result.ratio.toFixed(3)}`);
}

async function idleSection(stateDir: string): Promise<void> {
  console.log(`\nidle footprint of serve with a ready builder over ${idleSeconds} s (target < 0.5 % CPU, < 80 MB RSS)`);
  const ways: [ReadyBy, string, string][] = [
    ['restore', 'ready from its snapshot (the usual start)', stateDir],
    ['first', 'ready from the first, cold start (saves the snapshot)', await mkdtemp(path.join(os.homedir(), '.bb-bench-idle-first-'))],
  ];
  for (const [readyBy, label, dir] of ways) {
    try {
      const idle = await benchIdleFootprint(defaultBinJs, dir, idleSeconds * 1000, readyBy);
      console.log(`  ${label}`);
      console.log(`    core       CPU ${(idle.core.cpuShare * 100).toFixed(2)} %   RSS mean ${mib(idle.core.rssMeanBytes)} (${mb(idle.core.rssMeanBytes)})  max ${mib(idle.core.rssMaxBytes)}`);
      console.log(`    bare node  CPU ${(idle.bareNode.cpuShare * 100).toFixed(2)} %   RSS mean ${mib(idle.bareNode.rssMeanBytes)}  max ${mib(idle.bareNode.rssMaxBytes)}`);
      console.log(`    ratio      RSS ${(idle.core.rssMeanBytes / idle.bareNode.rssMeanBytes).toFixed(2)}x`);
    } finally {
      if (dir !== stateDir) await rm(dir, { recursive: true, force: true });
    }
  }
}

async function queueSection(stateDir: string): Promise<void> {
  const binDirs = process.env.BENCH_NIX_BIN_DIRS ? process.env.BENCH_NIX_BIN_DIRS.split(path.delimiter).filter(Boolean) : nixVersions().map((nix) => nix.binDir);
  console.log(`\n20 tiny derivations on the builder, ${rounds} alternating rounds per Nix version (target ratio <= 1.05)`);
  // This host is x86_64-linux too: without max-jobs = 0 the core's builds would run locally
  // (and, as root without a nixbld group, fail), not on the builder the bench measures.
  process.env.NIX_CONFIG = [process.env.NIX_CONFIG, 'max-jobs = 0'].filter(Boolean).join('\n');
  await withReadyWiredCore(stateDir, async (core) => {
    for (const binDir of binDirs) {
      // The core runs the Nix its nixBinDir setting names; the plain nix-build runs the same one.
      await core.handle('settings.set', { patch: { nixBinDir: binDir } }, 'cli');
      await applyWiring(stateDir);
      const queue = await benchBuildQueueOverhead(core, stateDir, rounds);
      console.log(`  Nix ${queue.nixVersion} (${queue.nixBinDir})`);
      console.log(`    Builder Bar queue  ${queue.builderBarMs.map(seconds).join('  ')}   median ${seconds(median(queue.builderBarMs))}`);
      console.log(`    plain nix-build    ${queue.plainMs.map(seconds).join('  ')}   median ${seconds(median(queue.plainMs))}`);
      console.log(`    ratio              ${(median(queue.builderBarMs) / median(queue.plainMs)).toFixed(3)}`);
    }
  });
}

async function onDemandSection(stateDir: string): Promise<void> {
  const nix = nixVersions().find((candidate) => candidate.root === null);
  if (!nix) {
    console.log('\non demand: skipped (it needs the host\'s own Nix: the current Nix runs ssh in a root without node)');
    return;
  }
  const onDemandRounds = Number(process.env.BENCH_ONDEMAND_ROUNDS ?? 1);
  console.log(`\non demand, Nix ${nix.version}, ${onDemandRounds} round(s): first build from a stopped builder vs the same build on a ready one (target ratio <= 1.5 where the build is 1.2 s)`);
  try {
    const figures = await benchOnDemand(stateDir, path.join(nix.binDir, 'nix-build'), onDemandRounds);
    console.log(`  from stopped   ${figures.fromStoppedMs.map(seconds).join('  ')}   median ${seconds(median(figures.fromStoppedMs))}`);
    console.log(`  on ready       ${figures.onReadyMs.map(seconds).join('  ')}   median ${seconds(median(figures.onReadyMs))}`);
    console.log(`  ratio          ${(median(figures.fromStoppedMs) / median(figures.onReadyMs)).toFixed(3)}`);
    console.log(`  QEMU RSS       ready ${mib(figures.qemuRssReadyBytes)}, after the idle stop ${mib(figures.qemuRssAfterIdleBytes)}`);
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** `builder-bar nix apply --conf-dir` into the state dir, with the Nix the core runs. */
async function applyWiring(stateDir: string): Promise<void> {
  const io = { out: () => undefined, err: (line: string) => console.error(line), env: process.env, signal: new AbortController().signal };
  const applied = await runNixCommand(['apply', '--conf-dir', path.join(stateDir, 'nixconf'), '--state-dir', stateDir], io);
  if (applied !== 0) throw new Error('nix apply --conf-dir failed');
}

/** A core whose builder is ready and whose Nix wiring is applied to a conf dir in the state dir. */
async function withReadyWiredCore<T>(stateDir: string, body: (core: Core) => Promise<T>): Promise<T> {
  const core = await createCore({ stateDir });
  try {
    const status = await core.handle('vm.start', { wait: true, timeoutSeconds: 600 }, 'cli');
    if (status.state !== 'ready') throw new Error(`the builder did not become ready: ${status.error?.message}`);
    await applyWiring(stateDir);
    return await body(core);
  } finally {
    await core.close({ stopBuilder: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
