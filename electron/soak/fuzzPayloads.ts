/**
 * Malformed and random requests for the door fuzz (doorFuzz.soak.test.ts), from a seeded random
 * source so a failure replays. Three layers:
 *   - a request's name and input: valid templates of every contract request, mutated (wrong
 *     types, deleted and unknown keys, `__proto__`/`constructor`, huge strings, deep nesting),
 *     or replaced by random values; unknown and odd names;
 *   - values only Electron IPC can carry (undefined, NaN, BigInt, Map, cycles...);
 *   - wire frames for the two socket doors: the request as JSON, or frames that are not JSON,
 *     carry no readable id, are binary, are not UTF-8, or are bigger than a door accepts.
 *
 * Requests with heavy side effects (start the VM, run a build, write the Nix wiring, open a file
 * manager, write a diagnostics bundle, prebuild) only ever get input the contract refuses: the
 * door must turn them away before the core sees them. Valid `builders.add` input always points
 * at 127.0.0.1 and a key file that does not exist, so its health check never leaves the machine.
 */
import { z } from 'zod';
import { requests, type RequestName } from '../ipc/contract.js';
import { MAX_WIRE_MESSAGE_BYTES, WireRequestSchema } from '../ipc/wire.js';
import type { Random } from './soakKit.js';

export const requestNames = Object.keys(requests) as RequestName[];

/** Never run for real by the fuzz: only input the contract refuses is generated for these. */
export const heavyRequests: ReadonlySet<RequestName> = new Set<RequestName>([
  'vm.start', 'vm.restart', 'builds.start', 'nix.apply', 'nix.remove', 'nix.verify', 'logs.reveal', 'diagnostics.create', 'baselines.prebuild',
  'builderImage.plan', 'builderImage.update',
]);

export interface FuzzPlaces {
  /** An existing directory the fuzz may name (it is never written: see heavyRequests). */
  dir: string;
  /** A path where no file exists, for ssh keys. */
  missingFile: string;
}

export interface FuzzRequest {
  name: unknown;
  input: unknown;
  /** False: the input is left out altogether (the door reads it as `{}`). */
  hasInput: boolean;
  /** The contract's name when `name` is one. */
  known: RequestName | null;
}

const hostKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJBWcxb/Blaqt1auOtE+F8QUWrUotiC5qBJ+UuEWdVCb fuzz';

function template(name: RequestName, places: FuzzPlaces, random: Random): unknown {
  switch (name) {
    case 'vm.start':
      return { wait: random.chance(0.5), timeoutSeconds: random.int(1, 3600) };
    case 'vm.stop':
      return { force: random.chance(0.5) };
    case 'logs.tail':
      return { source: random.pick(['app', 'vm-console', 'qemu', 'ssh', 'nix-wiring', 'build:abc']), lines: random.int(1, 2000) };
    case 'logs.reveal':
      return { source: 'app' };
    case 'settings.set':
      return {
        patch: random.pick([
          { cpus: 1 }, { memoryMiB: 1024 }, { hostPort: random.int(1024, 65535) }, { hostPortAuto: random.chance(0.5) },
          { restartPolicy: { maxPerMinute: random.int(1, 6) } }, { logs: { ringLines: random.int(100, 20_000) } }, { diskGiB: random.int(2, 64) },
        ]),
      };
    case 'builds.start':
      return { target: random.chance(0.5) ? { kind: 'file', file: `${places.dir}/x.nix`, attr: 'a' } : { kind: 'installable', installable: 'nixpkgs#hello' } };
    case 'builds.cancel':
      return { id: 'b-1' };
    case 'builds.log':
      return { id: 'b-1', drvPath: '/nix/store/abc-x.drv' };
    case 'builders.add':
      return {
        builder: {
          id: `fz-${random.int(0, 999)}`, protocol: 'ssh', user: 'builder', host: '127.0.0.1', port: random.int(1, 65535),
          systems: ['x86_64-linux'], maxJobs: 1, speedFactor: 1, supportedFeatures: [], sshKey: places.missingFile, hostKey,
        },
      };
    case 'builders.remove':
    case 'builders.check':
      return { id: `fz-${random.int(0, 999)}` };
    case 'nix.detect':
    case 'nix.plan':
    case 'nix.apply':
    case 'nix.verify':
      return { confDir: places.dir };
    case 'diagnostics.create':
      return { outDir: places.dir };
    case 'baselines.addRepo':
      return { repo: { path: `${places.dir}/no-repo`, intervalSeconds: 86_400 } };
    case 'baselines.removeRepo':
      return { id: 'no-repo' };
    case 'baselines.updateRepo':
      return { id: 'no-repo', patch: { intervalSeconds: 3600 } };
    case 'baselines.prebuild':
      return { repoId: 'no-repo', branch: 'main' };
    case 'builderImage.plan':
      return { branch: 'nixpkgs-unstable' };
    case 'builderImage.update':
      return { pin: { rev: 'a'.repeat(40), narHash: `sha256-${'A'.repeat(43)}=` } };
    default:
      return {};
  }
}

const oddNames: unknown[] = [
  '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'vm.format-disk', 'STATUS.GET', 'status.get ', '', 'x'.repeat(150), 'app.info\u0000',
  42, null, true, ['status.get'], { name: 'status.get' },
];
const oddKeys = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '', ' ', 'id', 'name', 'input', '\u0000', '../x', 'a'.repeat(300)];
const envelopeOddKeys = oddKeys.filter((key) => key !== 'name' && key !== 'input');
const oddStrings = [
  '', ' ', '-', '--option', '-E', '/', '/dev/zero', '/etc/passwd', '../../../etc/passwd', 'a\u0000b', '\n', '\r\n', '${HOME}', '$(id)', '`id`',
  '%s%n', '\u202e', '\ud800', '😀'.repeat(50), 'null', 'true', '0', 'NaN', '{}', '[]', 'build:', 'build:../x', 'app\n', 'x'.repeat(5000),
];
const oddNumbers = [0, -0, -1, 1, 1.5, 2 ** 31, 2 ** 53 + 2, -(2 ** 53), 1e308, -1e308, 5e-324, 65535, 65536, 1_000_001, 3601];

/** Any JSON value, with the odd ones more likely than chance would make them. */
export function randomJson(random: Random, depth = 0): unknown {
  const roll = random.int(0, depth > 3 ? 5 : 8);
  switch (roll) {
    case 0:
      return null;
    case 1:
      return random.chance(0.5);
    case 2:
      return random.chance(0.6) ? random.pick(oddNumbers) : (random.next() - 0.5) * 10 ** random.int(0, 12);
    case 3:
    case 4:
      return random.chance(0.6) ? random.pick(oddStrings) : randomString(random, random.int(0, 40));
    case 5:
      return random.chance(0.02) ? 'x'.repeat(random.int(100_000, 600_000)) : randomString(random, random.int(0, 200));
    case 6:
      return Array.from({ length: random.int(0, 5) }, () => randomJson(random, depth + 1));
    default: {
      const object: Record<string, unknown> = {};
      for (let i = random.int(0, 4); i > 0; i--) setOwn(object, random.chance(0.3) ? random.pick(oddKeys) : randomString(random, random.int(1, 12)), randomJson(random, depth + 1));
      return object;
    }
  }
}

function randomString(random: Random, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) {
    const range = random.int(0, 9);
    text += String.fromCharCode(range === 0 ? random.int(0, 31) : range === 1 ? random.int(0x80, 0xffff) : random.int(32, 126));
  }
  return text;
}

/** Sets an own, enumerable key, `__proto__` included (plain assignment would change the prototype instead). */
function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, enumerable: true, configurable: true, writable: true });
}

function deeplyNested(random: Random): unknown {
  let value: unknown = random.pick([1, 'x', null, {}]);
  for (let depth = random.int(50, 2000); depth > 0; depth--) value = random.chance(0.5) ? [value] : { a: value };
  return value;
}

/** One change somewhere in a JSON tree: a value of the wrong kind, a key removed or added. */
function mutate(value: unknown, random: Random): unknown {
  if (random.chance(0.1)) return random.chance(0.3) ? deeplyNested(random) : randomJson(random);
  if (typeof value !== 'object' || value === null) return randomJson(random);
  const copy: Record<string, unknown> | unknown[] = Array.isArray(value) ? [...value] : { ...(value as Record<string, unknown>) };
  const keys = Object.keys(copy);
  const action = random.int(0, 4);
  if (Array.isArray(copy)) {
    if (action === 0 || copy.length === 0) copy.push(randomJson(random));
    else copy[random.int(0, copy.length - 1)] = mutate(copy[random.int(0, copy.length - 1)], random);
    return copy;
  }
  const record = copy as Record<string, unknown>;
  const key = keys.length > 0 ? random.pick(keys) : null;
  if (action === 0 || key === null) setOwn(record, random.pick(oddKeys), randomJson(random));
  else if (action === 1) delete record[key];
  else if (action === 2) record[key] = randomJson(random);
  else record[key] = mutate(record[key], random);
  return record;
}

function contractAccepts(name: RequestName, input: unknown): boolean {
  return requests[name].input.safeParse(input ?? {}).success;
}

/** The last guard before a request is sent: a heavy request the contract would accept is a bug of this file. */
export function assertHarmless(request: FuzzRequest): void {
  if (request.known && heavyRequests.has(request.known) && contractAccepts(request.known, request.hasInput ? request.input : undefined)) {
    throw new Error(`the fuzz generated input ${request.known} would accept; it must never run`);
  }
}

/** A request for one door call: mostly contract names with mutated input, sometimes odd names. */
export function fuzzRequest(random: Random, places: FuzzPlaces, options: { nonJson: boolean }): FuzzRequest {
  if (random.chance(0.08)) {
    // Over IPC a compromised renderer process can send any value the structured clone carries as the name.
    const name = options.nonJson && random.chance(0.3) ? random.pick(nonJsonValues()) : random.chance(0.2) ? randomString(random, random.int(1, 30)) : random.pick(oddNames);
    return { name, input: randomJson(random), hasInput: true, known: null };
  }
  const known = random.pick(requestNames);
  const heavy = heavyRequests.has(known);
  let input: unknown = template(known, places, random);
  const mutations = heavy || random.chance(0.75) ? random.int(1, 3) : 0;
  for (let i = 0; i < mutations; i++) input = mutate(input, random);
  if (options.nonJson && random.chance(0.1)) input = nonJsonValue(random, input);
  if (heavy) {
    // Only what the contract refuses: the door must turn it away.
    for (let tries = 0; contractAccepts(known, input) && tries < 20; tries++) input = mutate(input, random);
    if (contractAccepts(known, input)) input = { ...(typeof input === 'object' && input !== null ? input : {}), soakUnknownKey: 1 };
  } else if (known === 'builders.add' && contractAccepts(known, input)) {
    const builder = (input as { builder: Record<string, unknown> }).builder;
    builder.host = '127.0.0.1';
    builder.sshKey = places.missingFile;
  }
  const hasInput = heavy || !random.chance(0.05);
  return { name: known, input, hasInput, known };
}

/** Values the structured clone algorithm carries but JSON does not (Electron IPC only); fresh each call. */
function nonJsonValues(): unknown[] {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const sparse: unknown[] = [];
  sparse[1000] = 1;
  return [
    undefined, Number.NaN, Number.POSITIVE_INFINITY, -0, 10n ** 30n, new Date(Number.NaN), new Map([[1, 2]]), new Set(['status.get']),
    /re/g, new Uint8Array(16), new ArrayBuffer(8), sparse, Object.create(null) as unknown, cyclic, new Error('fuzz'),
  ];
}

function nonJsonValue(random: Random, around: unknown): unknown {
  const value = random.pick(nonJsonValues());
  if (typeof around === 'object' && around !== null && !Array.isArray(around) && random.chance(0.6)) {
    const keys = Object.keys(around);
    const copy = { ...(around as Record<string, unknown>) };
    copy[keys.length > 0 ? random.pick(keys) : 'x'] = value;
    return copy;
  }
  return value;
}

/** Input the contract refuses for any request: every input schema is a strict object. */
function refused(input: unknown): unknown {
  const base = typeof input === 'object' && input !== null && !Array.isArray(input) ? { ...(input as Record<string, unknown>) } : {};
  setOwn(base, '__proto__', { polluted: true });
  return base;
}

/**
 * The same nasty cases in every run, before the random ones, so each class is tried at least
 * once however few payloads a run has: every request's template (refused for heavy ones), odd
 * names, prototype keys, a huge string, deep nesting and, over IPC, values JSON cannot carry.
 */
export function fixedRequests(places: FuzzPlaces, random: Random, options: { nonJson: boolean }): FuzzRequest[] {
  const list: FuzzRequest[] = [];
  const add = (name: unknown, input: unknown): void => {
    list.push({ name, input, hasInput: true, known: typeof name === 'string' && requestNames.includes(name as RequestName) ? (name as RequestName) : null });
  };
  for (const name of requestNames) {
    const input = template(name, places, random);
    add(name, heavyRequests.has(name) ? refused(input) : input);
    add(name, refused(input));
    add(name, random.chance(0.5) ? [] : 'input');
  }
  for (const name of oddNames) add(name, {});
  const prototypeKeys: Record<string, unknown> = {};
  setOwn(prototypeKeys, '__proto__', { cpus: 2 });
  add('settings.set', { patch: prototypeKeys });
  add('settings.set', { patch: { constructor: { prototype: { polluted: true } } } });
  add('settings.set', { patch: { logs: prototypeKeys } });
  add('settings.set', { patch: { profile: 'x'.repeat(600_000) } });
  add('logs.tail', { source: `build:${'a'.repeat(200_000)}` });
  add('status.get', deeplyNested(random));
  add('builders.remove', { id: deeplyNested(random) });
  if (options.nonJson) {
    for (const value of nonJsonValues()) {
      add(value, {});
      add('status.get', value);
      add('settings.set', { patch: { cpus: value } });
    }
  }
  return list;
}

// ---------------------------------------------------------------------------------------------
// Wire frames (the CLI socket and the WebSocket)
// ---------------------------------------------------------------------------------------------

/**
 * What the door must do with a frame: answer its id, hang up (no id can be read, or the frame
 * is not JSON text within the size limit), or nothing at all (a blank line on the socket).
 */
export type FrameExpectation = { kind: 'reply'; id: number } | { kind: 'close' } | { kind: 'none' };

export interface Frame {
  payload: { text: string } | { bytes: Buffer; binary: boolean };
  expect: FrameExpectation;
  /** The request inside, when the frame is one (for judging the reply). */
  request: FuzzRequest | null;
  /** True when the whole message matches the wire format (otherwise the door refuses it itself). */
  wireValid: boolean;
  describe: string;
}

const IdOnly = z.object({ id: z.number().int().nonnegative() });

/** The frame's fate as the wire format defines it (electron/ipc/wire.ts, doors/wireRequests.ts). */
export function expectationOf(text: string, door: 'cli' | 'headless'): FrameExpectation {
  if (Buffer.byteLength(text, 'utf8') > MAX_WIRE_MESSAGE_BYTES) return { kind: 'close' };
  if (door === 'cli' && text.replace(/\r$/, '').trim() === '') return { kind: 'none' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'close' };
  }
  const id = IdOnly.safeParse(json);
  return id.success ? { kind: 'reply', id: id.data.id } : { kind: 'close' };
}

const junkTexts = [
  'not json', '{', '{"id": 1', '{"id":1,"name":"status.get","input":{}}garbage', 'null', '42', '"status.get"', '[]', '[{"id":1}]', '{}',
  '{"__proto__":{"id":1},"name":"status.get"}', '\u0000', '{"id":1e400,"name":"status.get"}', '   ', '\r', '\t\t',
];
const oddIds: unknown[] = [-1, 1.5, '7', null, 2 ** 64, [1], { id: 1 }];

/** A request as one wire message (the socket doors' JSON). */
function requestFrame(request: FuzzRequest, id: unknown, door: 'cli' | 'headless', describe: string): Frame {
  const message: Record<string, unknown> = { id, name: request.name };
  if (request.hasInput) message.input = request.input;
  const text = JSON.stringify(message);
  return { payload: { text }, expect: expectationOf(text, door), request, wireValid: WireRequestSchema.safeParse(JSON.parse(text)).success, describe };
}

/** The fixed cases as frames, plus what only frames can get wrong (see fixedRequests). */
export function fixedFrames(places: FuzzPlaces, random: Random, door: 'cli' | 'headless', takeId: () => number): Frame[] {
  const frames = fixedRequests(places, random, { nonJson: false }).map((request) => requestFrame(request, takeId(), door, 'a fixed case'));
  for (const text of junkTexts) frames.push({ payload: { text }, expect: expectationOf(text, door), request: null, wireValid: false, describe: `the frame ${JSON.stringify(text)}` });
  const status: FuzzRequest = { name: 'status.get', input: {}, hasInput: true, known: 'status.get' };
  for (const id of [...oddIds, 0, Number.MAX_SAFE_INTEGER]) frames.push(requestFrame(status, id, door, `id ${JSON.stringify(id)}`));
  const depth = 20_000;
  const nested = `{"id":${takeId()},"name":"status.get","input":${'['.repeat(depth)}${']'.repeat(depth)}}`;
  frames.push({ payload: { text: nested }, expect: expectationOf(nested, door), request: null, wireValid: true, describe: `input nested ${depth} deep` });
  const oversized = JSON.stringify({ id: takeId(), name: 'status.get', input: { pad: 'x'.repeat(MAX_WIRE_MESSAGE_BYTES) } });
  frames.push({ payload: { text: oversized }, expect: { kind: 'close' }, request: null, wireValid: false, describe: 'an oversized frame' });
  frames.push({ payload: { bytes: Buffer.from([0xc3, 0x28, 0xff, 0xfe]), binary: false }, expect: { kind: 'close' }, request: null, wireValid: false, describe: 'bytes that are not UTF-8' });
  if (door === 'headless') {
    frames.push({ payload: { bytes: Buffer.from('{"id":1,"name":"status.get","input":{}}'), binary: true }, expect: { kind: 'close' }, request: null, wireValid: false, describe: 'a binary frame' });
  }
  return frames;
}

/** One random frame for a socket door; `takeId` gives ids no other frame in flight uses. */
export function fuzzFrame(random: Random, places: FuzzPlaces, door: 'cli' | 'headless', takeId: () => number): Frame {
  const roll = random.next();
  if (roll < 0.8) {
    const request = fuzzRequest(random, places, { nonJson: false });
    if (random.chance(0.92)) return requestFrame(request, takeId(), door, 'a request');
    // The envelope around the request is wrong.
    const message: Record<string, unknown> = { id: takeId(), name: request.name, input: request.input };
    const change = random.int(0, 4);
    // An odd extra key; never `name` or `input`, or the frame would no longer be the request it
    // records (a random `input` can pass vm.start's schema, and a heavy request would run).
    if (change === 0) setOwn(message, random.pick(envelopeOddKeys), randomJson(random));
    else if (change === 1) message.id = random.pick(oddIds);
    else if (change === 2) delete message.id;
    else if (change === 3) message.id = random.pick([0, Number.MAX_SAFE_INTEGER]);
    else if (door === 'cli') message.subscribe = random.pick<unknown>([['status'], ['logs', 'settings'], ['nope'], 'status', []]);
    const text = JSON.stringify(message);
    return { payload: { text }, expect: expectationOf(text, door), request, wireValid: WireRequestSchema.safeParse(JSON.parse(text)).success, describe: 'a request in a malformed envelope' };
  }
  if (roll < 0.9) {
    const text = random.chance(0.7) ? random.pick(junkTexts) : randomString(random, random.int(1, 200)).replace(/\n/g, ' ');
    return { payload: { text }, expect: expectationOf(text, door), request: null, wireValid: false, describe: 'a frame that is not a request' };
  }
  if (roll < 0.93) {
    // Deeper than JSON.stringify or a structured clone can follow; JSON.parse still reads it.
    const depth = random.int(100, 20_000);
    const text = `{"id":${takeId()},"name":"status.get","input":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    return { payload: { text }, expect: expectationOf(text, door), request: null, wireValid: true, describe: `input nested ${depth} deep` };
  }
  if (roll < 0.935) {
    const text = JSON.stringify({ id: takeId(), name: 'status.get', input: { pad: 'x'.repeat(MAX_WIRE_MESSAGE_BYTES + random.int(1, 4096)) } });
    return { payload: { text }, expect: { kind: 'close' }, request: null, wireValid: false, describe: 'an oversized frame' };
  }
  if (door === 'headless' && random.chance(0.5)) {
    const bytes = Buffer.from(JSON.stringify({ id: 1, name: 'status.get', input: {} }));
    return { payload: { bytes, binary: true }, expect: { kind: 'close' }, request: null, wireValid: false, describe: 'a binary frame' };
  }
  // Bytes that are not UTF-8 (never a newline, which would split the line on the socket).
  const bytes = Buffer.from(Array.from({ length: random.int(1, 64) }, () => random.pick([0xc3, 0xff, 0xfe, 0x80, 0xed, 0xa0, 0x7b, 0x22])));
  return { payload: { bytes, binary: false }, expect: { kind: 'close' }, request: null, wireValid: false, describe: 'bytes that are not UTF-8' };
}
