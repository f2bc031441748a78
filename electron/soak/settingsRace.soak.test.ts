/**
 * Fault figure: 1,000 concurrent settings updates through the three doors against one real
 * core (createCore, as `serve` and the Electron shell own it): none lost.
 *
 * The doors: the Electron IPC door (openIpcDoor on a stand-in ipcMain, as ipcDoor.test.ts
 * does, with a trusted dashboard window), the headless WebSocket door and the CLI socket door,
 * all three on the same core in this process.
 *
 * "Lost", precisely. Each door owns three settings fields and its own remote builders (ids
 * `e-N`, `h-N`, `c-N`); no two doors ever change the same thing. The updates go in rounds: in a
 * round every door sends one change to each of its fields (`settings.set`) and adds or removes
 * one of its builders (`builders.add` / `builders.remove`), all at once and in random order.
 * Once every reply is in, an acknowledged update (an `ok` reply) is kept when all of these hold
 * its change: the settings in memory (`settings.get` through each door), the last `settings`
 * event each door delivered (what a renderer's mirror holds), and settings.json on disk. Any
 * of them missing it (an older value of the field, a builder missing or back) makes it lost;
 * a refused update counts as lost too (every value sent is valid). So every update is judged
 * on its own, and nothing a later update of the same field does can hide it.
 */
import { promises as fs } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeadlessDoor } from '../doors/headless/headlessDoor.js';
import { startOwnedCore, type OwnedCore } from '../doors/ownedCore.js';
import { ipcChannels, type Envelope, type RemoteBuilder, type Settings } from '../ipc/contract.js';
import { openIpcDoor, type EventTarget, type InvokeEventLike, type IpcDoor, type IpcMainLike } from '../main/ipcDoor.js';
import { SocketDoorClient, WebSocketDoorClient } from './doorClients.js';
import { projectRoot, scenarioRandom, soakCount, Tally, writeFigure } from './soakKit.js';

type DoorName = 'electron' | 'headless' | 'cli';
const doors: readonly DoorName[] = ['electron', 'headless', 'cli'];

/** A settings field one door owns, and the value it sends in round r (never the same twice running). */
interface Lane {
  door: DoorName;
  field: string;
  value(round: number): number | boolean;
  patch(value: number | boolean): Record<string, unknown>;
  read(settings: Settings): unknown;
}

const cores = Math.min(os.cpus().length, 64);
const lanes: Lane[] = [
  scalar('electron', 'cpus', (r) => (cores > 1 ? 1 + (r % 2) : 1)),
  nested('electron', 'restartPolicy', 'maxPerMinute', (r) => 1 + (r % 6)),
  scalar('electron', 'hostPortAuto', (r) => r % 2 === 0),
  scalar('headless', 'memoryMiB', (r) => 512 + (r % 8) * 64),
  nested('headless', 'restartPolicy', 'giveUpAfter', (r) => 1 + (r % 50)),
  scalar('headless', 'startOnLaunch', (r) => r % 2 === 1),
  scalar('cli', 'hostPort', (r) => 40_000 + (r % 20_000)),
  nested('cli', 'logs', 'ringLines', (r) => 100 + (r % 5_000)),
  nested('cli', 'restartPolicy', 'enabled', (r) => r % 2 === 0),
].filter((lane) => lane.field !== 'cpus' || cores > 1);

function scalar(door: DoorName, key: keyof Settings, value: (round: number) => number | boolean): Lane {
  return { door, field: key, value, patch: (v) => ({ [key]: v }), read: (s) => s[key] };
}

function nested(door: DoorName, key: 'restartPolicy' | 'logs', inner: string, value: (round: number) => number | boolean): Lane {
  return {
    door,
    field: `${key}.${inner}`,
    value,
    patch: (v) => ({ [key]: { [inner]: v } }),
    read: (s) => (s[key] as Record<string, unknown>)[inner],
  };
}

/** Stand-ins for Electron's ipcMain and a window's webContents (the Electron API boundary). */
class FakeIpcMain implements IpcMainLike {
  handler: ((event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>) | null = null;
  handle(_channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>): void {
    this.handler = listener;
  }
  removeHandler(): void {
    this.handler = null;
  }
}

class FakeWindow implements EventTarget {
  lastSettings: unknown = null;
  constructor(readonly id: number) {}
  isDestroyed(): boolean {
    return false;
  }
  send(channel: string, ...args: unknown[]): void {
    // Electron copies what it sends with the structured clone algorithm.
    if (channel === ipcChannels.event && args[0] === 'settings') this.lastSettings = structuredClone(args[1]);
  }
}

const rendererPage = path.join(projectRoot, 'out', 'renderer', 'index.html');

describe('concurrent settings updates through the three doors', () => {
  let stateDir: string;
  let owned: OwnedCore;
  let headless: HeadlessDoor;
  let ipcMain: FakeIpcMain;
  let ipcDoor: IpcDoor;
  const window = new FakeWindow(1);
  let ws: WebSocketDoorClient;
  let cli: SocketDoorClient;
  const lastEvent: Record<'headless' | 'cli', unknown> = { headless: null, cli: null };

  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'bb-soak-settings-'));
    owned = await startOwnedCore({ stateDir, env: process.env });
    headless = await HeadlessDoor.open({ core: owned.core, port: 0, rendererDir: path.dirname(rendererPage) });
    ipcMain = new FakeIpcMain();
    ipcDoor = openIpcDoor({ ipcMain, core: owned.core, windows: () => [window], rendererPages: [rendererPage], onRefused: () => undefined });
    ws = await WebSocketDoorClient.connect(headless.port, headless.token);
    ws.onEvent((name, payload) => {
      if (name === 'settings') lastEvent.headless = payload;
    });
    cli = await SocketDoorClient.connect(owned.paths.socketPath);
    cli.onEvent((name, payload) => {
      if (name === 'settings') lastEvent.cli = payload;
    });
    await cli.subscribe(['settings']);
  });

  afterAll(async () => {
    ws?.close();
    cli?.close();
    ipcDoor?.close();
    await headless?.close();
    await owned?.close({ stopBuilder: true });
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  async function ask(door: DoorName, name: string, input: unknown): Promise<Envelope<unknown>> {
    if (door === 'electron') {
      const handler = ipcMain.handler;
      if (!handler) throw new Error('the IPC door is closed');
      const event: InvokeEventLike = { sender: { id: window.id }, senderFrame: { url: pathToFileURL(rendererPage).href, parent: null } };
      return structuredClone((await handler(event, name, structuredClone(input))) as Envelope<unknown>);
    }
    const client = door === 'headless' ? ws : cli;
    return (await client.request(name, input)) as Envelope<unknown>;
  }

  /** What each view holds once every reply is in; a get on each connection also drains its events. */
  async function views(): Promise<Array<{ view: string; settings: Settings | null }>> {
    const memory = await Promise.all(doors.map(async (door) => ({ door, reply: await ask(door, 'settings.get', {}) })));
    const disk = JSON.parse(await fs.readFile(owned.paths.settingsFile, 'utf8')) as Settings;
    return [
      ...memory.map(({ door, reply }) => ({ view: `memory via ${door}`, settings: reply.ok ? (reply.value as Settings) : null })),
      { view: 'last settings event at electron', settings: window.lastSettings as Settings | null },
      { view: 'last settings event at headless', settings: lastEvent.headless as Settings | null },
      { view: 'last settings event at cli', settings: lastEvent.cli as Settings | null },
      { view: 'settings.json', settings: disk },
    ];
  }

  it('keeps every acknowledged update in memory, in the events a renderer sees, and on disk', async () => {
    const total = soakCount(1_000, 120);
    const random = scenarioRandom('settings race');
    const tally = new Tally();
    const alive: Record<DoorName, string[]> = { electron: [], headless: [], cli: [] };
    const nextBuilder: Record<DoorName, number> = { electron: 0, headless: 0, cli: 0 };
    const builder = (id: string): RemoteBuilder => ({
      id,
      protocol: 'ssh',
      user: 'builder',
      host: '127.0.0.1',
      port: 9,
      systems: ['x86_64-linux'],
      maxJobs: 1,
      speedFactor: 1,
      supportedFeatures: [],
      // A key that does not exist: the health check stops at reading it and never connects.
      sshKey: path.join(stateDir, 'no-such-key'),
      hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJBWcxb/Blaqt1auOtE+F8QUWrUotiC5qBJ+UuEWdVCb soak',
    });

    type Update =
      | { kind: 'field'; door: DoorName; lane: Lane; value: number | boolean }
      | { kind: 'add' | 'remove'; door: DoorName; id: string };
    let sent = 0;
    for (let round = 1; sent < total; round++) {
      const updates: Update[] = [];
      for (const lane of lanes) updates.push({ kind: 'field', door: lane.door, lane, value: lane.value(round) });
      for (const door of doors) {
        const own = alive[door];
        if (own.length >= 6 || (own.length > 0 && random.chance(0.4))) {
          updates.push({ kind: 'remove', door, id: random.pick(own) });
        } else {
          updates.push({ kind: 'add', door, id: `${door[0]}-${nextBuilder[door]++}` });
        }
      }
      const thisRound = shuffle(updates, random).slice(0, total - sent);
      sent += thisRound.length;

      const replies = await Promise.all(
        thisRound.map(async (update) => {
          if (update.kind === 'field') return ask(update.door, 'settings.set', { patch: update.lane.patch(update.value) });
          if (update.kind === 'add') return ask(update.door, 'builders.add', { builder: builder(update.id) });
          return ask(update.door, 'builders.remove', { id: update.id });
        }),
      );
      const seen = await views();
      thisRound.forEach((update, index) => {
        const reply = replies[index] as Envelope<unknown>;
        const what =
          update.kind === 'field'
            ? `round ${round}: ${update.door} set ${update.lane.field}=${String(update.value)}`
            : `round ${round}: ${update.door} ${update.kind === 'add' ? 'added' : 'removed'} builder ${update.id}`;
        if (!reply.ok) {
          tally.lost(`${what}: refused (${reply.error.code}: ${reply.error.message})`);
          return;
        }
        const missing = seen
          .filter(({ settings }) => {
            if (settings === null) return true;
            if (update.kind === 'field') return !isDeepStrictEqual(update.lane.read(settings), update.value);
            const present = settings.remoteBuilders.some((b) => b.id === update.id);
            return update.kind === 'add' ? !present : present;
          })
          .map(({ view, settings }) => (settings === null ? `${view} (none)` : update.kind === 'field' ? `${view} (${String(update.lane.read(settings))})` : view));
        if (update.kind === 'field') {
          const own = (reply.value as { settings: Settings }).settings;
          if (!isDeepStrictEqual(update.lane.read(own), update.value)) missing.unshift(`its own reply (${String(update.lane.read(own))})`);
        }
        if (missing.length === 0) tally.ok();
        else tally.lost(`${what}: acknowledged, then missing from ${missing.join(', ')}`);
      });
      // Go on from what the core really holds, so one lost add is not counted again at its removal.
      const memory = seen[0]?.settings;
      for (const door of doors) {
        alive[door] = (memory?.remoteBuilders ?? []).map((b) => b.id).filter((id) => id.startsWith(`${door[0]}-`));
      }
    }

    await writeFigure(
      tally.figure('3-settings-race', 'concurrent settings updates through the three doors (electron IPC, WebSocket, CLI socket)', [
        `seed ${random.seed}; ${lanes.length} fields and 3 builder lists, every change of a round in flight at once`,
      ]),
    );
    expect(tally.failures.slice(0, 10)).toEqual([]);
    expect(tally.lostCount).toBe(0);
    expect(tally.tried).toBe(total);
  });
});

function shuffle<T>(items: T[], random: { int(min: number, max: number): number }): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}
