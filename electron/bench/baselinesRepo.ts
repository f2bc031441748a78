/**
 * The benchmark's repository: 100k commits and 200 branches, written once by one
 * `git fast-import` process and kept in the temp dir (a marker file says it is complete), so
 * later runs measure the engine, not the generator. Shape: a main line with a commit every five
 * minutes for about a year, merges of short side lines, 150 branches forked in the last week
 * whose last commit lands after the boundary (their baselines lie in recent history) and 50 old
 * ones (their tips predate the boundary).
 */
import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { gitEnvironment } from '../core/baselines/gitRunner.js';

export const benchCommits = 100_000;
export const benchBranches = 200;
const step = 300;
/** The last main commit lands a little before this "now" (2025-01-15 13:00 UTC). */
export const benchNow = 1_736_946_000;
const firstTime = benchNow - benchCommits * step;

export async function ensureBenchRepo(dir = path.join(os.tmpdir(), 'builder-bar-bench', `baselines-${benchCommits}-${benchBranches}-v2`)): Promise<string> {
  const marker = path.join(dir, '.git', 'bench-complete');
  if (await access(marker).then(() => true, () => false)) return dir;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const env = gitEnvironment();
  await execa('git', ['-C', dir, 'init', '-q', '-b', 'main'], { env, extendEnv: false });
  const importer = execa('git', ['-C', dir, 'fast-import', '--quiet', '--done'], { env, extendEnv: false, stdin: 'pipe', stdout: 'ignore' });
  const stream = importer.stdin;
  let seed = 42;
  const random = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed % n;
  };
  const chunks: string[] = [];
  const flush = async () => {
    const text = chunks.join('');
    chunks.length = 0;
    if (!stream.write(text)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
  };
  const commit = (ref: string, mark: number, time: number, from: number | null, merge: number | null, file: string) => {
    const message = `change ${file} (${mark})`;
    const content = `${mark}\n`;
    chunks.push(
      `commit ${ref}\nmark :${mark}\ncommitter Bench <bench@example.com> ${time} +0000\ndata ${message.length}\n${message}\n`,
      from === null ? '' : `from :${from}\n`,
      merge === null ? '' : `merge :${merge}\n`,
      `M 100644 inline src/${file}\ndata ${content.length}\n${content}\n`,
    );
  };

  // The main line, with a short side line merged every 500 commits.
  let mark = 0;
  let mainTip = 0;
  const mainMarks: number[] = [];
  for (let i = 0; i < benchCommits - benchBranches * 5; i += 1) {
    const time = firstTime + i * step;
    if (i > 0 && i % 500 === 0) {
      const side = (mark += 1);
      commit('refs/bench/side', side, time - 100, mainMarks[mainMarks.length - 20] ?? mainTip, null, `side/${random(300)}.txt`);
      mark += 1;
      commit('refs/heads/main', mark, time, mainTip, side, `m/${random(2000)}.txt`);
    } else {
      mark += 1;
      commit('refs/heads/main', mark, time, mainTip === 0 ? null : mainTip, null, `m/${random(2000)}.txt`);
    }
    mainTip = mark;
    mainMarks.push(mark);
    if (chunks.length > 4000) await flush();
  }
  const lastMainTime = firstTime + (mainMarks.length - 1) * step;
  // 200 branches of up to 9 commits: 150 forked in the last week, 50 long ago.
  for (let b = 0; b < benchBranches; b += 1) {
    const recent = b < 150;
    const forkIndex = recent ? mainMarks.length - 1 - random(7 * 288) : random(mainMarks.length - 3000);
    let tip = mainMarks[forkIndex] as number;
    let time = firstTime + forkIndex * step;
    const ref = `refs/heads/${recent ? 'feature' : 'old'}/b-${b}`;
    const count = 1 + random(9);
    for (let c = 0; c < count; c += 1) {
      time = Math.min(time + 60 + random(4 * 3600), recent ? lastMainTime + 3600 : time + 3600);
      // A recent branch's last commit lands today, after the boundary: its walk goes back into history.
      if (recent && c === count - 1) time = Math.max(time, benchNow - 60 - random(12 * 3600));
      mark += 1;
      commit(ref, mark, time, tip, null, `b${b}/${random(50)}.txt`);
      tip = mark;
    }
    await flush();
  }
  chunks.push('done\n');
  await flush();
  stream.end();
  await importer;
  await writeFile(marker, `${mark} commits\n`);
  return dir;
}
