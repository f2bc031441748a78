/** `builder-bar diagnostics` over the real CLI socket, against a transport core (no VM, no archive). */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliRecorder as recorder, serveTransportCore, type ServedTransportCore } from '../testing/servedTransportCore.js';

describe('builder-bar diagnostics', () => {
  let served: ServedTransportCore;

  beforeAll(async () => {
    served = await serveTransportCore('bb-cli-diag-');
  });

  afterAll(() => served.stop());

  it('prints the path of the bundle the core wrote into the log dir', async () => {
    const run = recorder();
    expect(await served.run(['diagnostics'], run)).toBe(0);
    expect(run.out).toEqual([path.join(served.stateDir, 'logs', 'builder-bar-diagnostics-20231114T221320Z.tar.gz')]);
    expect(served.core.received.at(-1)).toMatchObject({ name: 'diagnostics.create', input: {}, door: 'cli' });
  });

  it('sends --out as an absolute directory, resolved against the shell directory', async () => {
    const run = recorder();
    expect(await served.run(['diagnostics', '--out', 'bundles'], run)).toBe(0);
    expect(served.core.received.at(-1)?.input).toEqual({ outDir: path.resolve(process.cwd(), 'bundles') });
    expect(run.out[0]).toBe(path.join(path.resolve(process.cwd(), 'bundles'), 'builder-bar-diagnostics-20231114T221320Z.tar.gz'));
  });
});
