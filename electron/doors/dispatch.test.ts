/**
 * dispatch() is the one door into the core: whatever arrives, it answers with an envelope and
 * never throws. Electron's IPC clones values JSON cannot hold (BigInts, cycles), so a name or
 * input of any kind must come back as a refusal, not as a rejected promise.
 */
import { describe, expect, it } from 'vitest';
import type { Core } from '../core/core.js';
import { BuilderBarError } from '../core/errors.js';
import { dispatch } from './dispatch.js';

function coreAnswering(answer: () => Promise<unknown>): Core {
  return {
    paths: {} as Core['paths'],
    handle: (() => answer()) as unknown as Core['handle'],
    subscribe: () => () => undefined,
    holdBuilder: () => Promise.reject(new Error('no builder here')),
    power: { suspended: () => undefined, resumed: () => undefined },
    close: async () => undefined,
  };
}

const neverCalled = coreAnswering(() => Promise.reject(new Error('the core must not be reached')));

describe('dispatch', () => {
  it('refuses names of any kind with an envelope, never a throw', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const name of [10n, cyclic, undefined, null, Symbol('x'), 'x'.repeat(1_000_000), 'vm.nonsense']) {
      const reply = await dispatch(neverCalled, 'electron', name, {});
      expect(reply.ok).toBe(false);
      if (!reply.ok) {
        expect(reply.error.code).toBe('invalid-request');
        expect(reply.error.message.length).toBeLessThan(200);
      }
    }
  });

  it('refuses input the contract does not allow, cyclic and BigInt input included', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const input of [cyclic, 10n, { wait: 10n }, 'status']) {
      const reply = await dispatch(neverCalled, 'electron', 'vm.start', input);
      expect(reply).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
    }
  });

  it('says a full disk is a full disk, with what to do, not "a bug in Builder Bar"', async () => {
    const full = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: 'ENOSPC', path: '/state/settings.json' });
    const reply = await dispatch(coreAnswering(() => Promise.reject(full)), 'cli', 'status.get', {});
    expect(reply).toEqual({
      ok: false,
      error: {
        code: 'disk',
        message: 'The disk is full (/state/settings.json): ENOSPC: no space left on device, write',
        hint: 'Free some space on that disk, then try again. The file keeps its previous content.',
      },
    });
    const readOnly = Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
    const second = await dispatch(coreAnswering(() => Promise.reject(readOnly)), 'cli', 'status.get', {});
    expect(second).toMatchObject({ ok: false, error: { code: 'disk', hint: expect.stringMatching(/must be writable/) } });
    const ours = await dispatch(coreAnswering(() => Promise.reject(new BuilderBarError('busy', 'stopping'))), 'cli', 'status.get', {});
    expect(ours).toMatchObject({ ok: false, error: { code: 'busy', message: 'stopping' } });
  });
});
