import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import type { Envelope, ErrorInfo } from '../api/contract.js';
import { runRequest } from './useRequest.js';

function recorder<T>() {
  const events: string[] = [];
  let error: ErrorInfo | null = null;
  let reply: T | null = null;
  return {
    events,
    error: () => error,
    reply: () => reply,
    setters: {
      setBusy: (key: string | null) => events.push(`busy ${key ?? 'none'}`),
      setError: (next: ErrorInfo | null) => {
        error = next;
        events.push(next ? `error ${next.message}` : 'error cleared');
      },
      setReply: (next: T) => {
        reply = next;
        events.push('reply');
      },
    },
  };
}

describe('runRequest', () => {
  let consoleError: MockInstance<typeof console.error>;
  beforeEach(() => {
    consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => consoleError.mockRestore());

  it('clears the old error, is busy under its key, keeps the reply and hands it on', async () => {
    const state = recorder<number>();
    const handed: number[] = [];
    await runRequest('Could not count', async (): Promise<Envelope<number>> => ({ ok: true, value: 3 }), state.setters, { key: 'disk-a', onReply: (value) => { handed.push(value); } });
    expect(state.events).toEqual(['error cleared', 'busy disk-a', 'reply', 'busy none']);
    expect(state.reply()).toBe(3);
    expect(handed).toEqual([3]);
  });

  it('shows the core\'s error and no reply', async () => {
    const state = recorder<number>();
    const refused: ErrorInfo = { code: 'busy', message: 'The builder is ready', hint: 'Stop it first.' };
    await runRequest('Could not import', async (): Promise<Envelope<number>> => ({ ok: false, error: refused }), state.setters);
    expect(state.error()).toEqual(refused);
    expect(state.reply()).toBeNull();
    expect(state.events.at(-1)).toBe('busy none');
  });

  it('a broken transport or a reply handler that throws ends busy and says what failed', async () => {
    for (const call of [
      () => Promise.reject(new Error('socket closed')),
      async (): Promise<Envelope<number>> => ({ ok: true, value: 1 }),
    ]) {
      const state = recorder<number>();
      await runRequest('Could not save', call, state.setters, { onReply: () => { throw new Error('bad reply shape'); } });
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(state.events).toContain('busy none');
      expect(state.error()?.message).toMatch(/^Could not save: (socket closed|bad reply shape)$/);
    }
  });
});
