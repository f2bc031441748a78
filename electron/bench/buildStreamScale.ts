/**
 * Benchmark: how the build queue's cost grows with what Nix streams at it, in the core's own
 * process (no Nix, no VM). Two shapes a hostile round found quadratic:
 * - a remote build of N derivations, each output copied back (the queue scanned every derivation
 *   per copy): N and 2N derivations, ratio 2N/N (linear about 2, quadratic about 4);
 * - one build log line of L bytes in 64 KiB pieces (the parser re-split all pending text per
 *   piece): L and 2L, ratio 2L/L, beside a bare baseline that joins the same pieces and splits
 *   once, measured in the same run.
 */
import { ActivityStreamParser, parseActivityJson } from '../core/builds/activityParser.js';
import { BuildQueue } from '../core/builds/buildQueue.js';
import { remoteBuildStream } from '../core/builds/testing/remoteBuildStream.js';
import { median } from './startToReady.js';

const PIECE = new Uint8Array(64 * 1024).fill(0x61);

function timed(run: () => void): number {
  const started = performance.now();
  run();
  return performance.now() - started;
}

function queueMs(derivations: number): number {
  const lines = remoteBuildStream(derivations);
  return timed(() => {
    const queue = new BuildQueue();
    for (const line of lines) queue.apply(parseActivityJson(line));
  });
}

function longLineMs(pieces: number): number {
  return timed(() => {
    const parser = new ActivityStreamParser();
    parser.push('@nix {"action":"result","id":5,"type":101,"fields":["');
    for (let index = 0; index < pieces; index++) parser.push(PIECE);
    if (parser.push('"]}\n').length !== 1) throw new Error('the long line did not come out whole');
  });
}

function bareLongLineMs(pieces: number): number {
  const decoder = new TextDecoder();
  return timed(() => {
    let text = '';
    for (let index = 0; index < pieces; index++) text += decoder.decode(PIECE, { stream: true });
    if ((text + '\n').split('\n').length !== 2) throw new Error('unreachable');
  });
}

export function buildStreamScaleSection(rounds: number): void {
  const n = 15_000;
  const pieces = 160; // 10 MiB
  console.log(`\nbuild queue scaling, in the core's process, ${rounds} rounds (linear: ratio about 2)`);
  const small = [];
  const large = [];
  for (let round = 0; round < rounds; round++) {
    small.push(queueMs(n));
    large.push(queueMs(2 * n));
  }
  console.log(`  remote build, ${n.toLocaleString()} derivations   median ${median(small).toFixed(0)} ms`);
  console.log(`  remote build, ${(2 * n).toLocaleString()} derivations   median ${median(large).toFixed(0)} ms`);
  console.log(`  ratio              ${(median(large) / median(small)).toFixed(2)}`);
  const line = [];
  const longer = [];
  const bare = [];
  for (let round = 0; round < rounds; round++) {
    line.push(longLineMs(pieces));
    longer.push(longLineMs(2 * pieces));
    bare.push(bareLongLineMs(2 * pieces));
  }
  console.log(`  one 10 MiB log line in 64 KiB pieces   median ${median(line).toFixed(0)} ms`);
  console.log(`  one 20 MiB log line in 64 KiB pieces   median ${median(longer).toFixed(0)} ms   (bare join and split ${median(bare).toFixed(0)} ms, ratio ${(median(longer) / median(bare)).toFixed(2)})`);
  console.log(`  ratio 20/10 MiB    ${(median(longer) / median(line)).toFixed(2)}`);
}
