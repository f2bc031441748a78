/**
 * Benchmark: Builder Bar's Logs window against @xterm/xterm's own `write`, in one run.
 *
 * Builder Bar side: a serve child (real core + headless door, temp state dir, no VM) whose log
 * hub is fed Nix build lines; the built Logs window in Chromium shows them. Throughput is the
 * time from the first append to the run's last line showing in the view (hub → door → mirror
 * → virtualised list, all of it); the run's text is built before the clock starts, on both
 * sides (it was built inside Builder Bar's time until 2026-12-05: 40-110 ms of about 550). xterm side: a bare page writes the same bytes with
 * `term.write`; throughput is until the last chunk's write callback, as xterm quotes its own.
 * Then: requestAnimationFrame deltas while 50k lines/s stream in, and memory with 1M lines held
 * (core ring set to 1,000,000; xterm scrollback 1,000,000). Both pages run in one Chromium,
 * driven over bare CDP (bareChromium.ts says why not Playwright).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { execaNode, type ResultPromise } from 'execa';
import { BareChromium, type BarePage } from './bareChromium.js';
import { serveBenchPages, type BenchPageServer } from './benchPageServer.js';
import { largestRendererRss } from './chromiumRenderers.js';
import { benchRunBytes, endMarkerLine } from './logViewLines.js';
import { isMessageKind, type FromServe, type ToServe } from './logViewProtocol.js';
import { summarizeFrames, throughput, type FrameSummary, type Throughput } from './logViewStats.js';

export interface LogViewBenchOptions {
  rounds: number;
  throughputLines: number;
  streamRate: number;
  streamSeconds: number;
  heldLines: number;
  /**
   * Lines/s for filling the memory run: as fast as the hub takes them outruns the window once
   * it holds several hundred thousand lines, and the door then drops it (16 MiB unsent) and it
   * reloads only a tail, so the window would not hold the lines being measured.
   */
  heldRate: number;
  chromiumPath: string;
  /** The Logs window's `?cap=N`, or null for its own (a million lines). */
  windowCap: number | null;
}

export interface HeldMemory {
  lines: number;
  /** Lines the view itself holds (the Logs window keeps a capped tail; xterm its scrollback). */
  linesInView: number;
  heapUsedBytes: number;
  rendererRssBytes: number;
}

export interface SideResult {
  throughput: Throughput[];
  frames: FrameSummary;
  memory: HeldMemory;
}

export interface LogViewBenchResult {
  bytesPerLine: number;
  /**
   * One round per side before the counted ones, not counted: the first round was always the
   * slowest on both sides (2-4x, JIT and first allocations), which made the median of three
   * the slower of the other two.
   */
  warmUp: { builderBar: Throughput; xterm: Throughput };
  builderBar: SideResult & {
    coreRssIdleBytes: number;
    coreRssHeldBytes: number;
    /** Lines the hub dropped from batches over the whole run (0 means the view got every line). */
    droppedFromBatches: number;
    /** Times the Logs window stopped following its tail mid-run and "Jump to latest" was pressed. */
    followRescues: number;
    /**
     * Times the Logs window had to open a new WebSocket (the door drops a client that falls far
     * behind), during the throughput and streaming runs and during the memory fill.
     */
    reconnects: { timedRuns: number; memoryFill: number };
  };
  xterm: SideResult;
}

/**
 * The page-side globals the probe and driver scripts define (electron/bench/pages/, and
 * `countSockets` below). Functions passed to `evaluate` run in the page, so each names
 * `globalThis` itself.
 */
interface PageGlobals {
  benchSocketsOpened: number;
  logViewProbe: {
    startFrames(): void;
    stopFrames(): number[];
    rescues: number;
    watchText(selector: string, text: string, rescue?: string): void;
    textSeen(): Promise<number>;
  };
  xtermBench: {
    open(scrollback: number): void;
    throughput(lines: number, runId: string, linesPerChunk: number): Promise<number>;
    stream(lines: number, runId: string, ratePerSecond: number, tickMs: number): Promise<number>;
    hold(lines: number, runId: string, linesPerChunk: number): Promise<number>;
  };
}

const here = path.dirname(fileURLToPath(import.meta.url));
/** Bench pages are read from the source tree (`npm run bench` runs from the project root). */
const projectRoot = path.resolve('.');
const pagesDir = path.join(projectRoot, 'electron', 'bench', 'pages');
const logList = '[role="log"]';
const xtermRows = '.xterm-rows';
/**
 * Counts the WebSockets the Logs window opens (the door drops a client that falls far behind,
 * and the window then reconnects): run before the page's own scripts, it wraps the constructor.
 */
const countSockets = `(() => {
  const Native = globalThis.WebSocket;
  globalThis.benchSocketsOpened = 0;
  globalThis.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      globalThis.benchSocketsOpened += 1;
    }
  };
})();`;
const chunkLines = 1000;
/** The Logs window's button back to the tail: pressed if the view stops following mid-run. */
const jumpToLatest = 'Jump to latest';
/** BENCH_TRACE=1 prints each phase's start to stderr, to see where a slow run spends its time. */
const benchStarted = performance.now();
const trace = (phase: string): void => {
  if (process.env.BENCH_TRACE) console.error(`  [${((performance.now() - benchStarted) / 1000).toFixed(1)} s] ${phase}`);
};
/** As playwright.config.ts launches it. */
const launchArgs = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const viewport = { width: 760, height: 1000 };

export async function benchLogView(options: LogViewBenchOptions): Promise<LogViewBenchResult> {
  // Short: the CLI socket lives in the state dir, and unix socket paths stop near 100 bytes.
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'bb-logview-'));
  const serve = await ServeChild.start(stateDir);
  const browser = await BareChromium.launch(options.chromiumPath, launchArgs);
  // xterm.html loads xterm.js from node_modules, so the whole checkout is its root.
  const pages = await serveBenchPages(projectRoot);
  try {
    trace('serve child and Chromium up');
    const linesLib = await bundleLinesLib();
    const logs = await openLogsWindow(browser, serve.url, options.windowCap);
    const sockets = () => logs.evaluate<number>(() => (globalThis as unknown as PageGlobals).benchSocketsOpened);
    const term = await openXtermPage(browser, pages, linesLib, 100_000);
    const idle = await serve.request({ kind: 'memory' }, 'memory');
    let dropped = 0;

    const throughputRound = async (runId: string): Promise<{ builderBar: Throughput; xterm: Throughput }> => {
      const ms = await timeLogsWindow(serve, logs, { kind: 'feed', runId, count: options.throughputLines, ratePerSecond: null }, (fed) => (dropped += fed.droppedFromBatches));
      const bytes = benchRunBytes(options.throughputLines, runId);
      const xtMs = await term.evaluate<number>(([lines, id, chunk]: [number, string, number]) => (globalThis as unknown as PageGlobals).xtermBench.throughput(lines, id, chunk), [options.throughputLines, runId, chunkLines]);
      return { builderBar: throughput(options.throughputLines, bytes, ms), xterm: throughput(options.throughputLines, bytes, xtMs) };
    };
    trace('throughput warm-up round');
    const warmUp = await throughputRound('warmup');
    const bb: Throughput[] = [];
    const xt: Throughput[] = [];
    for (let round = 0; round < options.rounds; round += 1) {
      trace(`throughput round ${round + 1}`);
      const measured = await throughputRound(`tp${round}`);
      bb.push(measured.builderBar);
      xt.push(measured.xterm);
    }

    const streamLines = options.streamRate * options.streamSeconds;
    trace('streaming window');
    await logs.evaluate(() => (globalThis as unknown as PageGlobals).logViewProbe.startFrames());
    await timeLogsWindow(serve, logs, { kind: 'feed', runId: 'stream', count: streamLines, ratePerSecond: options.streamRate }, (fed) => (dropped += fed.droppedFromBatches));
    const bbFrames = summarizeFrames(await logs.evaluate<number[]>(() => (globalThis as unknown as PageGlobals).logViewProbe.stopFrames()));
    const xtFrames = summarizeFrames(
      await term.evaluate<number[]>(async ([lines, rate]: [number, number]) => {
        (globalThis as unknown as PageGlobals).logViewProbe.startFrames();
        await (globalThis as unknown as PageGlobals).xtermBench.stream(lines, 'stream', rate, 10);
        return (globalThis as unknown as PageGlobals).logViewProbe.stopFrames();
      }, [streamLines, options.streamRate]),
    );
    await term.close();

    trace('memory, Builder Bar');
    const socketsBeforeFill = await sockets();
    await serve.request({ kind: 'ringLines', lines: options.heldLines }, 'ringLinesSet');
    await timeLogsWindow(serve, logs, { kind: 'feed', runId: 'held', count: options.heldLines, ratePerSecond: options.heldRate }, (fed) => (dropped += fed.droppedFromBatches));
    const held = await serve.request({ kind: 'memory' }, 'memory');
    const followRescues = await logs.evaluate<number>(() => (globalThis as unknown as PageGlobals).logViewProbe.rescues);
    const socketsAfterFill = await sockets();
    const bbMemory: HeldMemory = { lines: options.heldLines, linesInView: await logsWindowLineCount(logs), ...(await pageMemory(logs)) };
    await logs.close();

    trace('memory, xterm');
    const fresh = await openXtermPage(browser, pages, linesLib, options.heldLines);
    const rows = await fresh.evaluate<number>(([lines, chunk]: [number, number]) => (globalThis as unknown as PageGlobals).xtermBench.hold(lines, 'held', chunk), [options.heldLines, chunkLines]);
    const xtMemory: HeldMemory = { lines: options.heldLines, linesInView: rows, ...(await pageMemory(fresh)) };

    return {
      bytesPerLine: benchRunBytes(options.throughputLines, 'tp0') / options.throughputLines,
      warmUp,
      builderBar: {
        throughput: bb,
        frames: bbFrames,
        memory: bbMemory,
        coreRssIdleBytes: idle.rssBytes,
        coreRssHeldBytes: held.rssBytes,
        droppedFromBatches: dropped,
        followRescues,
        reconnects: { timedRuns: socketsBeforeFill - 1, memoryFill: socketsAfterFill - socketsBeforeFill },
      },
      xterm: { throughput: xt, frames: xtFrames, memory: xtMemory },
    };
  } finally {
    trace('closing');
    await browser.close().catch(() => undefined);
    await pages.close();
    await serve.close();
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** Feeds a run into the hub and resolves with ms from the first append until its last line shows. */
async function timeLogsWindow(serve: ServeChild, logs: BarePage, feed: Extract<ToServe, { kind: 'feed' }>, onFed: (fed: Extract<FromServe, { kind: 'fed' }>) => void): Promise<number> {
  await logs.evaluate(
    ([selector, marker, rescue]: [string, string, string]) => (globalThis as unknown as PageGlobals).logViewProbe.watchText(selector, marker, rescue),
    [logList, endMarkerLine(feed.runId), jumpToLatest],
  );
  if (feed.ratePerSecond === null) await serve.request({ kind: 'prepare', runId: feed.runId, count: feed.count }, 'prepared');
  const started = performance.now();
  let shownAt = 0;
  const [fed] = await Promise.all([
    serve.request(feed, 'fed'),
    logs.evaluate(() => (globalThis as unknown as PageGlobals).logViewProbe.textSeen()).then(() => (shownAt = performance.now())),
  ]);
  onFed(fed);
  return shownAt - started;
}

async function openLogsWindow(browser: BareChromium, serveUrl: string, cap: number | null): Promise<BarePage> {
  const page = await browser.newPage(viewport);
  await page.addInitScript(countSockets);
  const url = new URL(serveUrl);
  url.pathname = '/logs.html';
  if (cap !== null) url.searchParams.set('cap', String(cap));
  await page.goto(url.toString());
  await page.waitFor(`document.querySelector(${JSON.stringify(logList)})?.textContent.includes('core started') ?? false`, 'the Logs window to show the core starting');
  // Evaluated, not added as a <script>: the Logs window's CSP (script-src 'self') stays as shipped.
  await page.evaluate(await readFile(path.join(pagesDir, 'logViewProbe.js'), 'utf8'));
  await expectPreciseClocks(page, 'the Logs window');
  return page;
}

async function openXtermPage(browser: BareChromium, pages: BenchPageServer, linesLib: string, scrollback: number): Promise<BarePage> {
  const page = await browser.newPage(viewport);
  await page.goto(pages.urlOf('electron/bench/pages/xterm.html'));
  await page.evaluate(linesLib);
  await page.evaluate((lines: number) => (globalThis as unknown as PageGlobals).xtermBench.open(lines), scrollback);
  await page.waitFor(`document.querySelector(${JSON.stringify(xtermRows)}) !== null`, 'xterm to draw its rows');
  await expectPreciseClocks(page, 'the xterm page');
  return page;
}

/**
 * Frame times are compared at 5 µs, which Chromium gives only a cross-origin isolated page
 * (elsewhere 100 µs, and an on-time frame reads 16.6-16.8 ms): a page that is not would make
 * its p95 a rounding artefact, so the run stops instead.
 */
async function expectPreciseClocks(page: BarePage, what: string): Promise<void> {
  if (!(await page.evaluate<boolean>('globalThis.crossOriginIsolated === true'))) {
    throw new Error(`${what} is not cross-origin isolated (COOP + COEP headers), so its frame times would be rounded to 0.1 ms`);
  }
}

/** The Logs window's own count of the lines it holds ("100,000 lines" in its toolbar). */
async function logsWindowLineCount(logs: BarePage): Promise<number> {
  const text = await logs.evaluate<string>(`document.querySelector('[role="toolbar"] [aria-label="Line count"]')?.textContent ?? ''`);
  if (!/^[\d,.\s]+ lines$/.test(text)) throw new Error(`the Logs window's line count reads "${text}"`);
  return Number(text.replace(/\D/g, ''));
}

/** The page's JS heap after a full collection, and its renderer process's RSS. */
async function pageMemory(page: BarePage): Promise<{ heapUsedBytes: number; rendererRssBytes: number }> {
  return { heapUsedBytes: await page.heapAfterGc(), rendererRssBytes: await largestRendererRss() };
}

/** logViewLines.ts and logViewPacing.ts (as compiled next to this file), bundled for the xterm page. */
async function bundleLinesLib(): Promise<string> {
  const bundled = await build({
    stdin: {
      contents: "export { benchRunLine } from './logViewLines.js';\nexport { linesDue } from './logViewPacing.js';\n",
      resolveDir: here,
      loader: 'js',
    },
    bundle: true,
    format: 'iife',
    globalName: 'logViewLines',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  return bundled.outputFiles[0]!.text;
}

const serveChildOptions = { ipc: true, nodeOptions: ['--expose-gc'], stdout: 'ignore', stderr: 'inherit', reject: false } as const;

/** The serve child and its request/answer channel. */
class ServeChild {
  private constructor(
    private readonly child: ResultPromise<typeof serveChildOptions>,
    readonly url: string,
  ) {}

  static async start(stateDir: string): Promise<ServeChild> {
    const child = execaNode(path.join(here, 'logViewServer.js'), [stateDir], serveChildOptions);
    const ready = await child.getOneMessage();
    if (!isMessageKind(ready, 'ready')) throw new Error(`the serve child did not start: ${JSON.stringify(ready)}`);
    return new ServeChild(child, (ready as Extract<FromServe, { kind: 'ready' }>).url);
  }

  async request<K extends FromServe['kind']>(command: ToServe, answer: K): Promise<Extract<FromServe, { kind: K }>> {
    await this.child.sendMessage(command);
    const reply = await this.child.getOneMessage();
    if (!isMessageKind(reply, answer)) throw new Error(`the serve child answered ${JSON.stringify(reply)} to ${command.kind}`);
    return reply as Extract<FromServe, { kind: K }>;
  }

  async close(): Promise<void> {
    await this.request({ kind: 'close' }, 'closed').catch(() => undefined);
    const exited = await Promise.race([this.child.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 20_000))]);
    if (!exited) {
      this.child.kill('SIGKILL');
      await this.child;
    }
  }
}
