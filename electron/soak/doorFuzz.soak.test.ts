/**
 * Fault figure: every contract request through each door with 10,000 malformed or random
 * payloads per door (fuzzPayloads.ts: wrong types, huge strings, deep nesting, unknown names,
 * `__proto__`/`constructor` keys, frames that are not JSON, binary, not UTF-8 or oversized).
 * The core never crashes, every reply is a valid result (checked against the contract's output
 * schema) or an error envelope, and the core still answers `status.get` afterwards.
 *
 * The CLI socket and the WebSocket doors are fuzzed against a real `builder-bar serve` child, so
 * "never crashes" means the process lives (plain Node exits on an unhandled rejection). The
 * Electron IPC door is fuzzed in this process (openIpcDoor on a stand-in ipcMain, a real core
 * behind it) with what a compromised renderer process could send through the structured clone:
 * any name, any value; there a crash is an unhandled rejection or an exception in this process,
 * and an invoke that rejects is a reply that is not an envelope.
 *
 * Heavy requests (vm.start, vm.restart, builds.start, nix.apply/remove/verify, logs.reveal,
 * diagnostics.create, baselines.prebuild) only get input the contract refuses, and their reply
 * must be that refusal (`invalid-request`): nothing starts a VM, builds, writes Nix wiring,
 * opens a file manager or writes a bundle. Valid `builders.add` input points at 127.0.0.1 and a
 * missing key, so no health check leaves the machine. The seed is printed; SOAK_SEED replays it.
 */
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../core/core.js';
import { createCore } from '../core/createCore.js';
import { ErrorInfoSchema, requests, StatusSchema } from '../ipc/contract.js';
import { openIpcDoor, type InvokeEventLike, type IpcDoor, type IpcMainLike } from '../main/ipcDoor.js';
import { SocketDoorClient, WebSocketDoorClient, type DoorOutcome, type RawDoorClient } from './doorClients.js';
import { assertHarmless, fixedFrames, fixedRequests, fuzzFrame, fuzzRequest, heavyRequests, type Frame, type FuzzPlaces, type FuzzRequest } from './fuzzPayloads.js';
import { projectRoot, scenarioRandom, seededRandom, soakCount, startServeChild, Tally, writeFigure, type Random, type ServeChild } from './soakKit.js';

const EnvelopeSchema = z.union([
  z.object({ ok: z.literal(true), value: z.unknown() }).strict(),
  z.object({ ok: z.literal(false), error: ErrorInfoSchema }).strict(),
]);

/** Replies that were `internal` errors: valid envelopes, but each one is a bug a user would report. */
const internalErrors: string[] = [];
/** How the door dealt with what it got, for the figure's notes: a fuzz that is only refused tests little. */
const outcomes = { answered: 0, refused: 0, hungUp: 0 };

/** Why a reply is wrong for the request that caused it, or null when it is right. */
function judgeReply(request: FuzzRequest | null, wireValid: boolean, reply: unknown): string | null {
  const envelope = EnvelopeSchema.safeParse(reply);
  if (!envelope.success) return `not an envelope: ${JSON.stringify(reply)?.slice(0, 200)}`;
  const known = request?.known ?? null;
  const what = known ?? `name ${describeValue(request?.name)}`;
  if (!envelope.data.ok) {
    outcomes.refused += 1;
    const { error } = envelope.data;
    if (known && heavyRequests.has(known) && error.code !== 'invalid-request') {
      return `${known} with refused input got ${error.code} (${error.message}): it ran instead of being refused at the door`;
    }
    if (error.code === 'internal') internalErrors.push(`${what}: ${error.message}`.slice(0, 300));
    return null;
  }
  if (!request || !known || !wireValid) return `ok reply to a message the door should have refused (${what})`;
  if (heavyRequests.has(known)) return `${known} ran: its input should have been refused`;
  const input = request.hasInput ? request.input : undefined;
  if (!requests[known].input.safeParse(input ?? {}).success) return `${known} answered ok to input the contract refuses: ${describeValue(input)}`;
  outcomes.answered += 1;
  const output = requests[known].output.safeParse(envelope.data.value);
  if (!output.success) return `${known}'s reply does not match its output schema: ${output.error.issues[0]?.message ?? ''}`;
  return null;
}

function describeValue(value: unknown): string {
  try {
    return (JSON.stringify(value) ?? String(value)).slice(0, 120);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Object.prototype's keys before any payload: a `__proto__` key merged into a plain object would add some. */
const pristinePrototype = new Set(Object.getOwnPropertyNames(Object.prototype));

class FakeIpcMain implements IpcMainLike {
  handler: ((event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>) | null = null;
  handle(_channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>): void {
    this.handler = listener;
  }
  removeHandler(): void {
    this.handler = null;
  }
}

describe('malformed and random payloads through every door', () => {
  let root: string;
  let places: FuzzPlaces;
  let serve: ServeChild;
  let ipcCore: Core;
  let ipcDoor: IpcDoor;
  const ipcMain = new FakeIpcMain();
  const rendererPage = path.join(projectRoot, 'out', 'renderer', 'index.html');
  const perDoor = soakCount(10_000, 300);
  let seed: number;
  /** Each door draws from its own sequence, so one door's run replays alone (vitest -t) too. */
  let random: Random;
  const useDoorRandom = (door: number): void => {
    random = seededRandom((seed + door * 0x9e3779b9) >>> 0);
  };

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'bb-soak-fuzz-'));
    places = { dir: path.join(root, 'harmless'), missingFile: path.join(root, 'harmless', 'no-such-key') };
    await mkdir(places.dir);
    serve = await startServeChild(path.join(root, 'serve-state'));
    ipcCore = await createCore({ stateDir: path.join(root, 'ipc-state') });
    ipcDoor = openIpcDoor({ ipcMain, core: ipcCore, windows: () => [{ id: 1, isDestroyed: () => false, send: () => undefined }], rendererPages: [rendererPage], onRefused: () => undefined });
    seed = scenarioRandom('door fuzz').seed;
  });

  afterAll(async () => {
    ipcDoor?.close();
    await ipcCore?.close({ stopBuilder: true });
    await serve?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function fuzzSocketDoor(door: 'cli' | 'headless'): Promise<Tally> {
    const connect = (): Promise<RawDoorClient> =>
      door === 'cli' ? SocketDoorClient.connect(serve.socketPath) : WebSocketDoorClient.connect(serve.port, serve.token);
    const tally = new Tally();
    let client = await connect();
    let nextId = 1;
    let inFlight: Promise<void>[] = [];
    const settle = async (): Promise<void> => {
      await Promise.all(inFlight);
      inFlight = [];
      if (!client.isOpen() && serve.alive()) client = await connect();
    };
    const judge = (frame: Frame, outcome: DoorOutcome, index: number): void => {
      const label = `${door} frame ${index} (${frame.describe})`;
      const expect = frame.expect;
      if (expect.kind === 'reply') {
        if (outcome.kind === 'reply') {
          const problem = judgeReply(frame.request, frame.wireValid, outcome.reply);
          if (problem) tally.lost(`${label}: ${problem}`);
          else tally.ok();
        } else if (outcome.kind === 'closed') tally.lost(`${label}: the door hung up (${outcome.code}: ${outcome.reason}) on a message whose id it could read`);
        else tally.lost(`${label}: no reply within 120 s`);
      } else if (expect.kind === 'close') {
        if (outcome.kind === 'closed') {
          outcomes.hungUp += 1;
          tally.ok();
        }
        else tally.lost(`${label}: the door neither answered nor hung up (${outcome.kind})`);
      } else if (outcome.kind === 'reply') tally.ok();
      else tally.lost(`${label}: the connection did not answer the next request (${outcome.kind})`);
    };

    const fixed = fixedFrames(places, random, door, () => nextId++);
    for (let index = 0; index < Math.max(perDoor, fixed.length); index++) {
      if (!serve.alive()) {
        tally.lost(`${door}: the core died before frame ${index}: ${serve.exitDescription() ?? ''}`);
        break;
      }
      const frame = fixed[index] ?? fuzzFrame(random, places, door, () => nextId++);
      if (frame.request) assertHarmless(frame.request);
      const sendOn = (target: RawDoorClient): void => {
        if ('text' in frame.payload) target.sendText(frame.payload.text);
        else target.sendBytes(frame.payload.bytes, frame.payload.binary);
      };
      const expect = frame.expect;
      if (expect.kind === 'reply' && expect.id >= 1 && expect.id < nextId && inFlight.length < 8) {
        const target = client;
        const waiting = target.waitReply(expect.id, 120_000);
        sendOn(target);
        inFlight.push(waiting.then((outcome) => judge(frame, outcome, index)));
        continue;
      }
      await settle();
      if (expect.kind === 'reply') {
        const waiting = client.waitReply(expect.id, 120_000);
        sendOn(client);
        judge(frame, await waiting, index);
      } else if (expect.kind === 'close') {
        const waiting = client.waitClosed(30_000);
        sendOn(client);
        judge(frame, await waiting, index);
      } else {
        sendOn(client);
        const id = nextId++;
        const waiting = client.waitReply(id, 60_000);
        client.sendText(JSON.stringify({ id, name: 'app.info', input: {} }));
        judge(frame, await waiting, index);
      }
      await settle();
    }
    await settle();
    client.close();
    return tally;
  }

  async function fuzzIpcDoor(): Promise<Tally> {
    const tally = new Tally();
    const trusted: InvokeEventLike = { sender: { id: 1 }, senderFrame: { url: pathToFileURL(rendererPage).href, parent: null } };
    const crashes: string[] = [];
    const onCrash = (error: unknown): void => {
      crashes.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    };
    process.on('unhandledRejection', onCrash);
    process.on('uncaughtException', onCrash);
    try {
      let inFlight: Promise<void>[] = [];
      const fixed = fixedRequests(places, random, { nonJson: true });
      for (let index = 0; index < Math.max(perDoor, fixed.length); index++) {
        const request = fixed[index] ?? fuzzRequest(random, places, { nonJson: true });
        assertHarmless(request);
        let args: unknown[];
        try {
          // What reaches the main process went through the structured clone; what cannot, never arrives.
          // Fewer arguments only where a missing input cannot run a heavy request (it reads as {}).
          const heavy = request.known !== null && heavyRequests.has(request.known);
          const arity = !heavy && random.chance(0.03) ? random.int(0, 1) : 2;
          args = structuredClone([request.name, request.hasInput ? request.input : undefined].slice(0, arity));
        } catch {
          // Not something a renderer process could send; a random one is replaced, a fixed one skipped.
          if (index >= fixed.length) index -= 1;
          continue;
        }
        const handler = ipcMain.handler;
        if (!handler) throw new Error('the IPC door is closed');
        const label = `electron payload ${index} (${request.known ?? `name ${describeValue(request.name)}`})`;
        inFlight.push(
          handler(trusted, ...args).then(
            (reply) => {
              let problem = judgeReply(args.length === 0 ? null : { ...request, hasInput: args.length > 1 && request.hasInput }, true, reply);
              if (!problem) {
                try {
                  structuredClone(reply);
                } catch (error) {
                  problem = `the reply cannot cross IPC: ${(error as Error).message}`;
                }
              }
              if (problem) tally.lost(`${label}: ${problem}`);
              else tally.ok();
            },
            (error: unknown) => tally.lost(`${label}: the invoke rejected instead of answering with an envelope: ${(error as Error).message}`),
          ),
        );
        if (inFlight.length >= 8) {
          await Promise.all(inFlight);
          inFlight = [];
        }
      }
      await Promise.all(inFlight);
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      process.off('unhandledRejection', onCrash);
      process.off('uncaughtException', onCrash);
    }
    for (const crash of crashes) tally.lost(`electron: an unhandled error in the main process (Electron would show a crash dialog or lose the request): ${crash}`);
    return tally;
  }

  it('the CLI socket door answers or refuses every frame, and the core lives', async () => {
    useDoorRandom(0);
    const tally = await fuzzSocketDoor('cli');
    const after = await statusAfterwards('cli');
    if (after) tally.lost(after);
    await writeFigure(tally.figure('4a-fuzz-cli', 'malformed/random payloads, CLI socket door', notes()));
    expect(tally.failures.slice(0, 10)).toEqual([]);
    expect(tally.lostCount).toBe(0);
  });

  it('the WebSocket door answers or refuses every frame, and the core lives', async () => {
    useDoorRandom(1);
    const tally = await fuzzSocketDoor('headless');
    const after = await statusAfterwards('headless');
    if (after) tally.lost(after);
    await writeFigure(tally.figure('4b-fuzz-headless', 'malformed/random payloads, WebSocket door', notes()));
    expect(tally.failures.slice(0, 10)).toEqual([]);
    expect(tally.lostCount).toBe(0);
  });

  it('the Electron IPC door answers every call with an envelope, and the core lives', async () => {
    useDoorRandom(2);
    const tally = await fuzzIpcDoor();
    const handler = ipcMain.handler;
    const trusted: InvokeEventLike = { sender: { id: 1 }, senderFrame: { url: pathToFileURL(rendererPage).href, parent: null } };
    const status = handler ? await handler(trusted, 'status.get', {}).catch((error: unknown) => error) : null;
    const envelope = EnvelopeSchema.safeParse(status);
    if (!envelope.success || !envelope.data.ok || !StatusSchema.safeParse(envelope.data.value).success) {
      tally.lost(`electron: status.get afterwards did not answer a Status: ${describeValue(status)}`);
    }
    const polluted = Object.getOwnPropertyNames(Object.prototype).filter((key) => !pristinePrototype.has(key));
    if (polluted.length > 0) tally.lost(`electron: Object.prototype gained ${polluted.join(', ')} (prototype pollution)`);
    await writeFigure(tally.figure('4c-fuzz-electron', 'malformed/random payloads, Electron IPC door', notes()));
    expect(tally.failures.slice(0, 10)).toEqual([]);
    expect(tally.lostCount).toBe(0);
  });

  function notes(): string[] {
    const seen = internalErrors.splice(0);
    const { answered, refused, hungUp } = outcomes;
    Object.assign(outcomes, { answered: 0, refused: 0, hungUp: 0 });
    return [
      `seed ${seed}; heavy requests only with input the contract refuses; ${answered} answered with a result, ${refused} refused with an error, ${hungUp} frames made the door hang up as the wire format says`,
      ...(seen.length > 0 ? [`${seen.length} replies were "internal" errors (valid envelopes, but bugs), e.g. ${[...new Set(seen)].slice(0, 3).join(' | ')}`] : []),
    ];
  }

  /** A fresh connection's status.get, and the process still alive; the problem, or null. */
  async function statusAfterwards(door: 'cli' | 'headless'): Promise<string | null> {
    if (!serve.alive()) return `${door}: the core is gone: ${serve.exitDescription() ?? ''}`;
    const client = door === 'cli' ? await SocketDoorClient.connect(serve.socketPath) : await WebSocketDoorClient.connect(serve.port, serve.token);
    try {
      const reply = EnvelopeSchema.safeParse(await client.request('status.get', {}));
      if (!reply.success || !reply.data.ok || !StatusSchema.safeParse(reply.data.value).success) return `${door}: status.get afterwards did not answer a Status`;
      return null;
    } catch (error) {
      return `${door}: status.get afterwards failed: ${(error as Error).message}`;
    } finally {
      client.close();
    }
  }
});
