/**
 * `BENCH_ONLY=logview`: runs the log-view benchmark (logViewBench.ts) and prints it in the style
 * of the other sections of run.ts.
 *
 *   BENCH_ROUNDS=N                 throughput rounds, alternating (default 3), after one
 *                                  warm-up round per side that is printed but not counted
 *   BENCH_LOGVIEW_LINES=N          lines per throughput round (default 200000)
 *   BENCH_LOGVIEW_RATE=N           lines/s of the streaming window (default 50000)
 *   BENCH_LOGVIEW_SECONDS=N        length of the streaming window (default 10)
 *   BENCH_LOGVIEW_HELD=N           lines held for the memory figures (default 1000000)
 *   BENCH_LOGVIEW_HELD_RATE=N      lines/s they are fed at (default 50000)
 *   BENCH_LOGVIEW_WINDOW_CAP=N     open the Logs window with ?cap=N (default: its own million), to
 *                                  see what the lines it holds cost (README: where its missed
 *                                  frames come from)
 *   BUILDER_BAR_CHROMIUM=path      the browser (default /usr/bin/chromium)
 */
import { median } from './startToReady.js';
import { benchLogView, type HeldMemory } from './logViewBench.js';
import type { FrameSummary, Throughput } from './logViewStats.js';

const numberFromEnv = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const count = (n: number) => n.toLocaleString('en-US');
const ms = (value: number) => `${value.toFixed(1)} ms`;
/** The pages are cross-origin isolated, so rAF times come to 5 µs: two decimals show an on-time 16.67. */
const preciseMs = (value: number) => `${value.toFixed(2)} ms`;

/** The window takes a cap of 1,000 to 1,000,000 lines (windowLogCap.ts) and ignores anything else. */
function windowCapFromEnv(value: string | undefined): number | null {
  if (value === undefined) return null;
  const cap = Number(value);
  if (!Number.isInteger(cap) || cap < 1_000 || cap > 1_000_000) {
    throw new Error(`BENCH_LOGVIEW_WINDOW_CAP must be a whole number of lines from 1000 to 1000000, got "${value}"`);
  }
  return cap;
}

export async function logViewSection(): Promise<void> {
  const options = {
    rounds: numberFromEnv('BENCH_ROUNDS', 3),
    throughputLines: numberFromEnv('BENCH_LOGVIEW_LINES', 200_000),
    streamRate: numberFromEnv('BENCH_LOGVIEW_RATE', 50_000),
    streamSeconds: numberFromEnv('BENCH_LOGVIEW_SECONDS', 10),
    heldLines: numberFromEnv('BENCH_LOGVIEW_HELD', 1_000_000),
    heldRate: numberFromEnv('BENCH_LOGVIEW_HELD_RATE', 50_000),
    chromiumPath: process.env.BUILDER_BAR_CHROMIUM ?? '/usr/bin/chromium',
    windowCap: windowCapFromEnv(process.env.BENCH_LOGVIEW_WINDOW_CAP),
  };
  const result = await benchLogView(options);
  const { builderBar: bb, xterm } = result;

  console.log(
    `\nlog view: ${count(options.throughputLines)} Nix build lines (${result.bytesPerLine.toFixed(1)} B each, ANSI colours) to the screen, ${options.rounds} alternating rounds`,
  );
  console.log('  (Builder Bar: core log hub -> headless door -> Logs window until the last line shows; xterm: term.write until its last callback)');
  console.log(`  (after a warm-up round each, not counted: Builder Bar ${result.warmUp.builderBar.megabytesPerSecond.toFixed(2)} MB/s, xterm ${result.warmUp.xterm.megabytesPerSecond.toFixed(2)} MB/s)`);
  const rates = (runs: Throughput[]) => {
    const lines = median(runs.map((run) => run.linesPerSecond));
    const mb = median(runs.map((run) => run.megabytesPerSecond));
    return { lines, mb, text: `${runs.map((run) => `${run.megabytesPerSecond.toFixed(2)}`).join('  ')} MB/s   median ${count(Math.round(lines))} lines/s, ${mb.toFixed(2)} MB/s` };
  };
  const bbRates = rates(bb.throughput);
  const xtRates = rates(xterm.throughput);
  console.log(`  Builder Bar Logs   ${bbRates.text}`);
  console.log(`  xterm write        ${xtRates.text}`);
  console.log(`  ratio              ${(bbRates.mb / xtRates.mb).toFixed(3)}`);

  const capped = options.windowCap === null ? '' : `, the Logs window capped at ${count(options.windowCap)} lines`;
  console.log(`\nframe time while ${count(options.streamRate)} lines/s stream in for ${options.streamSeconds} s (requestAnimationFrame deltas${capped})`);
  const frames = (summary: FrameSummary) =>
    `p50 ${preciseMs(summary.p50Ms)}  p95 ${preciseMs(summary.p95Ms)}  max ${ms(summary.maxMs)}  (${summary.frames} frames, ${summary.missed} missed a refresh)`;
  console.log(`  Builder Bar Logs   ${frames(bb.frames)}`);
  console.log(`  xterm write        ${frames(xterm.frames)}`);
  console.log(`  ratio              p95 ${(bb.frames.p95Ms / xterm.frames.p95Ms).toFixed(3)}`);

  console.log(
    `\nmemory with ${count(options.heldLines)} more lines held (core ring ${count(options.heldLines)} lines, fed at ${count(options.heldRate)} lines/s; xterm scrollback ${count(options.heldLines)})`,
  );
  const page = (memory: HeldMemory, what: string) =>
    `JS heap ${mib(memory.heapUsedBytes)}  renderer RSS ${mib(memory.rendererRssBytes)}  (${what} ${count(memory.linesInView)})`;
  console.log(`  Builder Bar core   RSS ${mib(bb.coreRssIdleBytes)} idle -> ${mib(bb.coreRssHeldBytes)} holding them`);
  console.log(`  Builder Bar Logs   ${page(bb.memory, 'lines in the window')}`);
  console.log(`  xterm page         ${page(xterm.memory, 'buffer rows')}`);
  console.log(
    `  ratio              renderer RSS ${(bb.memory.rendererRssBytes / xterm.memory.rendererRssBytes).toFixed(3)}   core+renderer vs xterm ${((bb.coreRssHeldBytes + bb.memory.rendererRssBytes) / xterm.memory.rendererRssBytes).toFixed(3)}`,
  );
  if (bb.followRescues > 0) {
    console.log(`  note: the Logs window stopped following its tail ${bb.followRescues} times under the flood; each time the bench pressed "Jump to latest" as a user would`);
  }
  const { timedRuns, memoryFill } = bb.reconnects;
  if (timedRuns + memoryFill > 0) {
    console.log(
      `  note: the door dropped the Logs window for falling behind ${timedRuns} times in the timed runs and ${memoryFill} times while holding; each time it reconnected and reloaded a tail`,
    );
  }
  if (bb.droppedFromBatches > 0) console.log(`  note: the hub dropped ${count(bb.droppedFromBatches)} lines from batches during the run`);
}
