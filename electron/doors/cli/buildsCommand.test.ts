/**
 * `builder-bar builds` against a served transport core over the real CLI socket: the list with
 * source and machine, the log lines in --json, the feed's words, and --follow.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildView, ExternalFeed } from '../../ipc/contract.js';
import { cliRecorder as recorder, serveTransportCore, type ServedTransportCore } from '../testing/servedTransportCore.js';
import { runCli } from './runCli.js';

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const drv = '/nix/store/9gg4xnijxf1phkhhb8hf7jqx49j0h3if-bb-joined.drv';
const external: BuildView = {
  id: 'ext-abc-1',
  source: 'external',
  target: { kind: 'external', description: 'bb-joined' },
  state: 'running',
  createdAt: 10,
  endedAt: null,
  exitCode: null,
  signal: null,
  error: null,
  derivations: [{ drvPath: drv, name: 'bb-joined', state: 'building', machine: 'ssh://builder-bar-test', phase: 'buildPhase', reason: null, startedAt: 11, endedAt: null }],
  progress: { done: 2, expected: 3, running: 1, failed: 0 },
  outputPaths: [],
};
/** A build from a history written before `source` existed. */
const ownOld: BuildView = {
  id: 'build-1',
  target: { kind: 'installable', installable: 'nixpkgs#hello' },
  state: 'succeeded',
  createdAt: 1,
  endedAt: 5,
  exitCode: 0,
  signal: null,
  error: null,
  derivations: [{ drvPath: '/nix/store/00000000000000000000000000000000-hello.drv', name: 'hello', state: 'done', machine: 'local', phase: null, reason: null, startedAt: 2, endedAt: 4 }],
  progress: { done: 1, expected: 1, running: 0, failed: 0 },
  outputPaths: [],
};
const feed: ExternalFeed = {
  state: 'nix-too-old',
  message: 'The queue shows only the builds Builder Bar starts: The json-log-path setting (every build on the machine in one queue) needs Nix >= 2.30; /usr/bin has Nix 2.8.0.',
  socketPath: '/state/nix-log.sock',
  connections: 0,
  records: 0,
  malformed: 3,
  oversized: 0,
  movedAside: null,
};

describe('builder-bar builds', () => {
  let served: ServedTransportCore;

  beforeAll(async () => {
    served = await serveTransportCore('bb-cli-builds-', () => ({
      'builds.list': () => ({ builds: [external, ownOld], external: [], externalFeed: feed }),
      'builds.log': (input) => ({ lines: input.id === external.id && input.drvPath === drv ? ['building joined'] : [], dropped: 0 }),
    }));
  });

  afterAll(() => served.stop());

  it('--json lists each build with its source and machine, and an external build\'s log lines', async () => {
    const run = recorder();
    expect(await served.run(['builds', '--json'], run)).toBe(0);
    const printed = JSON.parse(run.out.join('\n')) as { builds: Array<Record<string, unknown> & { derivations: Array<{ log: string[] }> }>; externalFeed: ExternalFeed };
    expect(printed.builds.map((build) => [build.id, build.source, build.machine])).toEqual([
      ['ext-abc-1', 'external', 'ssh://builder-bar-test'],
      ['build-1', 'builder-bar', 'local'],
    ]);
    expect(printed.builds[0]!.derivations[0]!.log).toEqual(['building joined']);
    expect(printed.externalFeed.state).toBe('nix-too-old');
  });

  it('prints one line per build for a person, and says why only its own builds show with an older Nix', async () => {
    const run = recorder();
    expect(await served.run(['builds'], run)).toBe(0);
    expect(run.out[0]).toBe('ext-abc-1  external  running 2/3  ssh://builder-bar-test  bb-joined  (buildPhase)');
    expect(run.out[1]).toBe('build-1  builder-bar  succeeded 1/1  local  nixpkgs#hello');
    expect(run.out[2]).toContain('needs Nix >= 2.30');
    expect(run.out[2]).toContain('Skipped 3 malformed');
  });

  it('--follow prints each change as it comes, until Ctrl-C', async () => {
    const run = recorder();
    const following = served.run(['builds', '--follow', '--json'], run);
    await until(() => run.out.length === 1, 'the list');
    served.core.emit({ name: 'build', payload: { ...external, state: 'succeeded', endedAt: 20 } });
    await until(() => run.out.length === 2, 'the change');
    run.abort();
    expect(await following).toBe(130);
    expect(JSON.parse(run.out[1]!)).toMatchObject({ build: { id: 'ext-abc-1', source: 'external', state: 'succeeded', machine: 'ssh://builder-bar-test' } });
  });

  it('is in the help, with its options', async () => {
    const run = recorder();
    expect(await runCli(['builds', '--help'], run.io)).toBe(0);
    expect(run.out.join('\n')).toMatch(/Usage: builder-bar \[--state-dir DIR\] builds \[--json\] \[--follow\]\n[\s\S]*--follow/);
  });
});
