/**
 * CPU time and resident memory of one process, read from /proc on Linux and from `ps` on
 * macOS. Benchmarks sample Builder Bar's core and a bare baseline process the same way.
 */
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';

export interface ProcessSample {
  /** user + system CPU time, seconds */
  cpuSeconds: number;
  rssBytes: number;
}

export async function sampleProcess(pid: number): Promise<ProcessSample> {
  if (process.platform === 'linux') {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = 100; // USER_HZ is 100 on every Linux Node supports
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const rssKiB = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
    return { cpuSeconds: (utime + stime) / ticks, rssBytes: rssKiB * 1024 };
  }
  const { stdout } = await execa('ps', ['-o', 'rss=,time=', '-p', String(pid)]);
  const [rss, time] = stdout.trim().split(/\s+/);
  const parts = (time ?? '0:0').split(/[:.]/).map(Number);
  const [minutes = 0, seconds = 0, hundredths = 0] = parts.length === 4 ? [parts[0]! * 60 + parts[1]!, parts[2], parts[3]] : parts;
  return { cpuSeconds: minutes * 60 + seconds + hundredths / 100, rssBytes: Number(rss) * 1024 };
}

export interface Footprint {
  /** Mean CPU use over the window, as a share of one core (0.01 = 1 %). */
  cpuShare: number;
  rssMeanBytes: number;
  rssMaxBytes: number;
}

/** Samples a process every `everyMs` for `windowMs` and sums it up. */
export async function measureFootprint(pid: number, windowMs: number, everyMs = 1000): Promise<Footprint> {
  const first = await sampleProcess(pid);
  const started = performance.now();
  const rss: number[] = [first.rssBytes];
  let last = first;
  while (performance.now() - started < windowMs) {
    await new Promise((resolve) => setTimeout(resolve, everyMs));
    last = await sampleProcess(pid);
    rss.push(last.rssBytes);
  }
  const elapsed = (performance.now() - started) / 1000;
  return {
    cpuShare: (last.cpuSeconds - first.cpuSeconds) / elapsed,
    rssMeanBytes: rss.reduce((a, b) => a + b, 0) / rss.length,
    rssMaxBytes: Math.max(...rss),
  };
}

