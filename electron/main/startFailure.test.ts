import { describe, expect, it } from 'vitest';
import { BuilderBarError } from '../core/errors.js';
import { AlreadyRunningError } from '../doors/ownedCore.js';
import { startFailureBox } from './startFailure.js';

const paths = { stateDir: '/Users/ana/Library/Application Support/Builder Bar', socketPath: '/s/core.sock', lockFile: '/s/core.lock' };

describe('the error box when the core cannot start', () => {
  it('says what the lock refusal says, with what to do', () => {
    const box = startFailureBox(new AlreadyRunningError(paths, { pid: 4242, startedAt: 0, coreAnswers: false }));
    expect(box.title).toBe('Builder Bar is already running');
    expect(box.content).toContain('kill 4242');
    expect(box.content).toContain('delete /s/core.lock');
  });

  it('shows a Builder Bar error as its message and hint, never a stack trace', () => {
    const box = startFailureBox(new BuilderBarError('disk', 'The state dir /x is not yours.', 'Run: sudo chown -R ana /x'));
    expect(box).toEqual({ title: 'Builder Bar could not start', content: 'The state dir /x is not yours.\n\nRun: sudo chown -R ana /x' });
    expect(box.content).not.toMatch(/\n\s+at /);
  });

  it('keeps the stack of anything else: a bug, for a report', () => {
    expect(startFailureBox(new TypeError('x is undefined')).content).toMatch(/^TypeError: x is undefined\n\s+at /);
  });
});
