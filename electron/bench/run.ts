/**
 * `npm run bench`: Builder Bar's benchmarks. Each prints its figures next to a bare baseline
 * measured in the same run, and the ratio; none of them is a pass/fail test.
 *
 *   BENCH_ROUNDS=N          start-to-ready rounds (default 3)
 *   BENCH_IDLE_SECONDS=N    idle window (default 60)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { benchIdleFootprint, defaultBinJs } from './idleFootprint.js';
import { benchStartToReady, median } from './startToReady.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const idleSeconds = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  const stateDir = await mkdtemp(path.join(os.homedir(), '.bb-bench-'));
  try {
    console.log(`start to ready, ${rounds} alternating rounds (target ratio <= 1.05)`);
    const start = await benchStartToReady(stateDir, rounds);
    console.log(`  Builder Bar     ${start.builderBarMs.map(seconds).join('  ')}   median ${seconds(median(start.builderBarMs))}`);
    console.log(`  bare qemu+ssh   ${start.bareMs.map(seconds).join('  ')}   median ${seconds(median(start.bareMs))}`);
    console.log(`  ratio           ${start.ratio.toFixed(3)}`);

    console.log(`\nidle footprint of serve with a ready builder over ${idleSeconds} s`);
    const idle = await benchIdleFootprint(defaultBinJs, stateDir, idleSeconds * 1000);
    console.log(`  core       CPU ${(idle.core.cpuShare * 100).toFixed(2)} %   RSS mean ${mib(idle.core.rssMeanBytes)}  max ${mib(idle.core.rssMaxBytes)}`);
    console.log(`  bare node  CPU ${(idle.bareNode.cpuShare * 100).toFixed(2)} %   RSS mean ${mib(idle.bareNode.rssMeanBytes)}  max ${mib(idle.bareNode.rssMaxBytes)}`);
    console.log(`  ratio      RSS ${(idle.core.rssMeanBytes / idle.bareNode.rssMeanBytes).toFixed(2)}x`);
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
