/**
 * The queue as a user sees it through the core: Builder Bar's own builds and builds other Nix
 * processes wrote to the log socket, side by side and marked by source; what the queue says
 * when the Nix in use is too old for json-log-path; bad records counted, never fatal.
 */
import { readFileSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BuilderBarError } from '../errors.js';
import { LogHub } from '../logs/logHub.js';
import { fakeInstallation, fixedNix } from '../nix/testing/fakeNix.js';
import { BuildHistory } from './buildHistory.js';
import { BuildService } from './buildService.js';
import { ExternalBuildFeed } from './externalBuildFeed.js';
import { nixLogSocketPath } from './logSocket.js';
import { fixtureLines, fixtureVersions } from './testing/fixtures.js';

// Only Nix >= 2.30 writes json-log-path: the newest recording is what it would send.
const fixture = `${fixtureLines('remote-several', fixtureVersions().at(-1) ?? 'none').map((line) => line.replace(/^@nix /, '')).join('\n')}\n`;

let stateDir: string;
let logs: LogHub;
const closers: Array<() => Promise<void>> = [];

beforeEach(async () => {
  stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bb-extfeed-'));
  logs = new LogHub({ ringLines: 1000, logDir: null });
});

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await fs.rm(stateDir, { recursive: true, force: true });
});

async function open(version = '2.34.8'): Promise<{ feed: ExternalBuildFeed; builds: BuildService }> {
  const nix = fixedNix(fakeInstallation('/opt/nix/bin', version));
  const feed = await ExternalBuildFeed.open({ stateDir, logs, nix, throttleMs: 5 });
  const builds = await BuildService.open({
    stateDir,
    logs,
    buildEnvironment: async () => ({}),
    nix,
    builderReady: () => true,
    ensureBuilderReady: async () => undefined,
    external: feed,
  });
  closers.push(async () => {
    await builds.close();
    await feed.close();
  });
  return { feed, builds };
}

/** One Nix process writing its records and exiting. */
async function nixWrites(text: string): Promise<void> {
  const socket = net.connect(nixLogSocketPath(stateDir));
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  await new Promise<void>((resolve) => socket.end(text, () => resolve()));
  await new Promise((resolve) => socket.once('close', resolve));
}

async function until<T>(get: () => T | undefined): Promise<T> {
  for (let i = 0; i < 400; i += 1) {
    const value = get();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('timed out waiting');
}

describe('the queue with builds from the log socket', () => {
  it('shows a build another Nix ran beside Builder Bar\'s own, each marked by source, with machine, log and a log stream', async () => {
    const history = new BuildHistory(stateDir);
    await history.add({
      id: 'own-1',
      target: { kind: 'installable', installable: 'nixpkgs#hello' },
      state: 'succeeded',
      createdAt: 1,
      endedAt: 2,
      exitCode: 0,
      signal: null,
      error: null,
      derivations: [],
      progress: { done: 0, expected: 0, running: 0, failed: 0 },
      outputPaths: [],
    });
    const { builds } = await open();
    const events: string[] = [];
    builds.onBuild((view) => events.push(`${view.source}:${view.state}`));
    await nixWrites(fixture);
    const external = await until(() => builds.list().find((view) => view.source === 'external' && view.state === 'succeeded'));
    expect(builds.list().map((view) => view.source)).toEqual(['external', 'builder-bar']);
    expect(new Set(external.derivations.map((d) => d.machine))).toEqual(new Set(['ssh://builder-bar-test']));
    const joined = external.derivations.find((d) => d.name === 'bb-joined')!;
    expect(builds.log(external.id, joined.drvPath).lines).toContain('building joined');
    expect(logs.tail(`build:${external.id}`, 100).map((line) => line.text)).toContain('bb-joined> building joined');
    // Events are throttled (externalBuildFeed.ts): the list can show the end before the event is sent.
    await until(() => (events.includes('external:succeeded') ? true : undefined));
    expect(() => builds.cancel(external.id)).toThrow(BuilderBarError);
    expect(() => builds.cancel(external.id)).toThrow(/started outside Builder Bar/);
  });

  it('skips and counts malformed and truncated records, never failing, and says so in its status', async () => {
    const { builds, feed } = await open();
    await nixWrites('{"action":"start","id":1,\nnot json\n\u0000\u0000\n');
    await nixWrites(fixture);
    await nixWrites('{"action":"msg","level":0,"msg":"cut off');
    await until(() => builds.list().find((view) => view.source === 'external' && view.state === 'succeeded'));
    const feedStatus = await feed.status();
    expect(feedStatus).toMatchObject({ state: 'listening', connections: 3, malformed: 4 });
    expect(feedStatus.message).toContain(`json-log-path = ${nixLogSocketPath(stateDir)}`);
  });

  it('with Nix 2.8 the queue says why it sees only its own builds, naming the version json-log-path needs', async () => {
    const { feed } = await open('2.8.0');
    const status = await feed.status();
    expect(status.state).toBe('nix-too-old');
    expect(status.message).toMatch(/^The queue shows only the builds Builder Bar starts .*needs Nix >= 2\.30; \/opt\/nix\/bin has Nix 2\.8\.0\./);
  });

  it('a socket path it may not take leaves the feed unavailable, with the reason, and the core goes on', async () => {
    await fs.symlink('/tmp/not-ours', nixLogSocketPath(stateDir));
    const { feed, builds } = await open();
    expect(builds.list()).toEqual([]);
    const status = await feed.status();
    expect(status.state).toBe('unavailable');
    expect(status.message).toMatch(/is a symbolic link, not Builder Bar's Nix log socket/);
  });
});
