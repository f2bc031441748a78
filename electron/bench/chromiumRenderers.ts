/**
 * Resident memory of the Chromium renderer processes this Node process launched (Linux /proc):
 * the log-view benchmark's pages live there, and a page's typed arrays (xterm's buffer) count
 * in its RSS but not in its JS heap. Other Chromiums on the machine are not ours and are skipped.
 */
import { readdir, readFile } from 'node:fs/promises';
import { sampleProcess } from './processSample.js';

/** The largest RSS among our renderer processes (the page under test), or NaN off Linux. */
export async function largestRendererRss(ancestor = process.pid): Promise<number> {
  if (process.platform !== 'linux') return Number.NaN;
  const parents = new Map<number, number>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => null);
    if (stat) parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
  }
  const descends = (pid: number): boolean => {
    for (let at = parents.get(pid); at !== undefined && at > 1; at = parents.get(at)) if (at === ancestor) return true;
    return false;
  };
  let largest = Number.NaN;
  for (const pid of parents.keys()) {
    if (!descends(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes('--type=renderer')) continue;
    const { rssBytes } = await sampleProcess(pid).catch(() => ({ rssBytes: Number.NaN }));
    if (Number.isFinite(rssBytes)) largest = Number.isNaN(largest) ? rssBytes : Math.max(largest, rssBytes);
  }
  return largest;
}
