import { describe, expect, it } from 'vitest';
import type { BuildView } from '../ipc/contract.js';
import { buildEndedNotice, runningAfter, trayTitle } from './buildActivity.js';

function view(state: BuildView['state'], extra: Partial<BuildView> = {}): BuildView {
  return {
    id: 'b1',
    target: { kind: 'file', file: '/work/project/default.nix', attr: 'hello' },
    state,
    createdAt: 1_000,
    endedAt: ['succeeded', 'failed', 'cancelled'].includes(state) ? 13_400 : null,
    exitCode: null,
    signal: null,
    error: null,
    derivations: [
      { drvPath: '/nix/store/a-hello.drv', name: 'hello', state: 'done', machine: 'ssh://builder-bar-linux', phase: null, reason: null, startedAt: 2_000, endedAt: 13_000 },
    ],
    progress: { done: 1, expected: 1, running: 0, failed: 0 },
    outputPaths: [],
    ...extra,
  };
}

describe('build activity in the menu bar', () => {
  it('counts running builds and shows nothing when idle', () => {
    let running = runningAfter(new Set(), view('waiting-for-builder'));
    running = runningAfter(running, view('running', { id: 'b2' }));
    expect(trayTitle(running.size)).toBe(' 2');
    running = runningAfter(running, view('succeeded'));
    running = runningAfter(running, view('failed', { id: 'b2' }));
    expect(trayTitle(running.size)).toBe('');
  });

  it('notifies once when a running build succeeds or fails, never for a cancel', () => {
    expect(buildEndedNotice(true, view('succeeded'))).toEqual({ title: 'Build succeeded', body: 'default.nix (hello): 1 derivation built in 12 s.' });
    expect(buildEndedNotice(true, view('failed', { error: 'Nix exited with code 100: builder failed' }))).toEqual({
      title: 'Build failed',
      body: 'default.nix (hello): Nix exited with code 100: builder failed',
    });
    expect(buildEndedNotice(false, view('succeeded'))).toBeNull();
    expect(buildEndedNotice(true, view('cancelled'))).toBeNull();
    expect(buildEndedNotice(true, view('running'))).toBeNull();
  });

  it("counts the derivations a huge build's view leaves out when it succeeded", () => {
    expect(buildEndedNotice(true, view('succeeded', { derivationsNotShown: 29_999 }))?.body).toBe('default.nix (hello): 30000 derivations built in 12 s.');
  });
});
