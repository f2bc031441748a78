/**
 * Chromium driven over the DevTools protocol with nothing but what the log-view benchmark asks:
 * Runtime (evaluate), Page (navigate), Emulation (the viewport), HeapProfiler (memory).
 *
 * Why not Playwright here: Playwright enables the Network domain on every page, and with it
 * Chromium copies every WebSocket frame's payload to DevTools (the renderer serialises it, the
 * browser process relays it, Playwright parses it). Measured on the Logs window under a 200k-line
 * flood: the browser's main thread busy about 0.5 s of each 1.7-2.0 s round, and the same rounds
 * took 1.5-2.2 s under Playwright against 1.2-1.3 s driven over bare CDP. A user's
 * window has no DevTools attached, and the xterm page it is compared with has no WebSocket to
 * copy, so the comparison is only fair without it. Playwright drives the UI tests as before.
 *
 * The browser speaks CDP over a pipe (`--remote-debugging-pipe`: fd 3 in, fd 4 out, messages
 * ended by NUL), so no port is opened.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { execa, type ResultPromise } from 'execa';

type CdpResult = Record<string, unknown>;

interface CdpReply {
  id?: number;
  result?: CdpResult;
  error?: { message: string };
  method?: string;
  params?: CdpResult;
  sessionId?: string;
}

const chromeOptions = { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'], reject: false, cleanup: true } as const;

export class BareChromium {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(result: CdpResult): void; reject(error: Error): void }>();
  private readonly eventWaiters = new Set<(reply: CdpReply) => void>();

  private constructor(
    private readonly child: ResultPromise<typeof chromeOptions>,
    private readonly profileDir: string,
  ) {
    const input = child.stdio[4] as Readable;
    let buffered = '';
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => {
      buffered += chunk;
      for (let end = buffered.indexOf('\0'); end >= 0; end = buffered.indexOf('\0')) {
        this.receive(JSON.parse(buffered.slice(0, end)) as CdpReply);
        buffered = buffered.slice(end + 1);
      }
    });
    // reject: false, so the child's promise always resolves.
    child.then(
      () => {
        for (const { reject } of this.waiting.values()) reject(new Error('Chromium exited'));
        this.waiting.clear();
      },
      () => undefined,
    );
  }

  static async launch(executablePath: string, args: readonly string[]): Promise<BareChromium> {
    const profileDir = await mkdtemp(path.join(os.tmpdir(), 'bb-bench-chromium-'));
    const child = execa(executablePath, ['--headless', '--remote-debugging-pipe', `--user-data-dir=${profileDir}`, ...args, 'about:blank'], chromeOptions);
    const browser = new BareChromium(child, profileDir);
    await browser.send('Browser.getVersion');
    return browser;
  }

  /** A page in a context of its own (its own storage, as a fresh window has), at this viewport. */
  async newPage(viewport: { width: number; height: number }): Promise<BarePage> {
    const { browserContextId } = (await this.send('Target.createBrowserContext')) as { browserContextId: string };
    const { targetId } = (await this.send('Target.createTarget', { url: 'about:blank', browserContextId, ...viewport })) as { targetId: string };
    const { sessionId } = (await this.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    const page = new BarePage(this, sessionId, browserContextId);
    await page.send('Page.enable');
    await page.send('Runtime.enable');
    await page.send('Emulation.setDeviceMetricsOverride', { ...viewport, deviceScaleFactor: 1, mobile: false });
    return page;
  }

  send(method: string, params: CdpResult = {}, sessionId?: string): Promise<CdpResult> {
    const id = this.nextId++;
    const message = JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) });
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      (this.child.stdio[3] as unknown as Writable).write(`${message}\0`);
    });
  }

  /** Resolves with the first event `method` of `sessionId` from now on. */
  nextEvent(method: string, sessionId: string): Promise<CdpResult> {
    return new Promise((resolve) => {
      const waiter = (reply: CdpReply) => {
        if (reply.method !== method || reply.sessionId !== sessionId) return;
        this.eventWaiters.delete(waiter);
        resolve(reply.params ?? {});
      };
      this.eventWaiters.add(waiter);
    });
  }

  async close(): Promise<void> {
    await Promise.race([this.send('Browser.close').catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5_000))]);
    this.child.kill('SIGKILL');
    await this.child;
    await rm(this.profileDir, { recursive: true, force: true });
  }

  private receive(reply: CdpReply): void {
    if (reply.id !== undefined) {
      const waiter = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (reply.error) waiter?.reject(new Error(reply.error.message));
      else waiter?.resolve(reply.result ?? {});
      return;
    }
    for (const waiter of [...this.eventWaiters]) waiter(reply);
  }
}

export class BarePage {
  constructor(
    private readonly browser: BareChromium,
    private readonly sessionId: string,
    private readonly browserContextId: string,
  ) {}

  send(method: string, params: CdpResult = {}): Promise<CdpResult> {
    return this.browser.send(method, params, this.sessionId);
  }

  /** Runs `source` in every document this page loads from now on, before the page's own scripts. */
  async addInitScript(source: string): Promise<void> {
    await this.send('Page.addScriptToEvaluateOnNewDocument', { source });
  }

  async goto(url: string): Promise<void> {
    const loaded = this.browser.nextEvent('Page.loadEventFired', this.sessionId);
    const navigated = (await this.send('Page.navigate', { url })) as { errorText?: string };
    if (navigated.errorText) throw new Error(`could not open ${url}: ${navigated.errorText}`);
    await loaded;
  }

  /**
   * Evaluates an expression, or calls a function with one JSON argument, in the page; awaits a
   * promise it returns and answers its value (JSON-able values only).
   */
  async evaluate<T>(code: string | ((arg: never) => unknown), arg?: unknown): Promise<T> {
    const expression = typeof code === 'string' ? code : `(${code.toString()})(${JSON.stringify(arg)})`;
    const reply = (await this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true })) as {
      result: { value?: T };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (reply.exceptionDetails) throw new Error(`in the page: ${reply.exceptionDetails.exception?.description ?? reply.exceptionDetails.text}`);
    return reply.result.value as T;
  }

  /** Polls `predicate` (an expression) every 50 ms until it is true. */
  async waitFor(predicate: string, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!(await this.evaluate<boolean>(predicate))) {
      if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The page's JS heap after a full collection. */
  async heapAfterGc(): Promise<number> {
    await this.send('HeapProfiler.collectGarbage');
    const heap = (await this.send('Runtime.getHeapUsage')) as { usedSize: number };
    return heap.usedSize;
  }

  async close(): Promise<void> {
    await this.browser.send('Target.disposeBrowserContext', { browserContextId: this.browserContextId });
  }
}
