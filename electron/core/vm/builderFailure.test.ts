import { describe, expect, it } from 'vitest';
import { BuilderBarError } from '../errors.js';
import { describeFailure, gaveUpError, howQemuEnded, toVmError, unexpectedExit, unkillableQemu } from './builderFailure.js';
import { ReadinessError } from './readiness.js';

describe('what a builder failure says', () => {
  it('retries a failed readiness probe but not a fatal one, a refusal or an unknown error', () => {
    expect(describeFailure(new ReadinessError('ssh', 'ssh did not answer', 'Look at the console.', false))).toEqual({
      message: 'ssh did not answer',
      hint: 'Look at the console.',
      retryable: true,
    });
    expect(describeFailure(new ReadinessError('host key', 'The host key changed', null, true)).retryable).toBe(false);
    expect(describeFailure(new BuilderBarError('port-in-use', 'Port 31022 is in use', 'Pick another port.'))).toEqual({
      message: 'Port 31022 is in use',
      hint: 'Pick another port.',
      retryable: false,
    });
    expect(describeFailure(new Error('EACCES: permission denied'))).toEqual({
      message: 'Starting the builder failed: EACCES: permission denied',
      hint: 'The app log (Open Logs, source "app") has the details.',
      retryable: false,
    });
    expect(describeFailure('a string').message).toBe('Starting the builder failed: a string');
  });

  it('says what to do when the state dir\'s disk is full, read-only or not ours to write', () => {
    const fsError = (code: string, file: string): Error =>
      Object.assign(new Error(`${code}: simulated, open '${file}'`), { code, path: file, syscall: 'open' });
    const full = describeFailure(fsError('ENOSPC', '/state/vm/boot.json'));
    expect(full.message).toBe("Starting the builder failed: ENOSPC: simulated, open '/state/vm/boot.json'");
    expect(full.hint).toBe('The disk holding /state/vm/boot.json is full: free some space on it, then start the builder again. Nothing was lost.');
    expect(describeFailure(fsError('EDQUOT', '/state/keys/client_ed25519')).hint).toMatch(/^The disk holding \/state\/keys\/client_ed25519 is full/);
    expect(describeFailure(fsError('EROFS', '/state/vm/qemu.log')).hint).toMatch(/^\/state\/vm\/qemu\.log is on a read-only filesystem: /);
    expect(describeFailure(fsError('EACCES', '/state/vm')).hint).toMatch(/^Builder Bar may not write \/state\/vm: make it yours again/);
  });

  it('says how QEMU ended: by a signal, with a code, or unseen (adopted)', () => {
    expect(howQemuEnded({ exitCode: null, signal: 'SIGKILL' })).toBe('was killed by SIGKILL');
    expect(howQemuEnded({ exitCode: 1, signal: null })).toBe('exited with code 1');
    expect(howQemuEnded({ exitCode: null, signal: null })).toBe('exited (no exit code: this core did not start it)');
  });

  it("quotes QEMU's own last words in an unexpected exit, which is worth a restart", () => {
    const failure = unexpectedExit({ exitCode: 1, signal: null }, 'qemu-system-x86_64: Failed to get "write" lock');
    expect(failure).toMatchObject({
      message: 'QEMU exited with code 1 unexpectedly: qemu-system-x86_64: Failed to get "write" lock',
      exitCode: 1,
      signal: null,
      retryable: true,
    });
    expect(unexpectedExit({ exitCode: null, signal: 'SIGSEGV' }, null).message).toBe('QEMU was killed by SIGSEGV unexpectedly.');
  });

  it('carries exit code, signal and console lines into the status error', () => {
    const error = toVmError(unexpectedExit({ exitCode: null, signal: 'SIGKILL' }, null), ['Booting Linux'], 42);
    expect(error).toEqual({
      message: 'QEMU was killed by SIGKILL unexpectedly.',
      hint: expect.stringMatching(/restarts automatically/),
      exitCode: null,
      signal: 'SIGKILL',
      consoleTail: ['Booting Linux'],
      at: 42,
    });
    expect(toVmError({ message: 'no', hint: null, retryable: false }, [], 1)).toMatchObject({ exitCode: null, signal: null });
  });

  it('gives up naming the last failure and keeping its details', () => {
    const previous = toVmError(unexpectedExit({ exitCode: 1, signal: null }, 'boom'), ['qemu: boom'], 10);
    const error = gaveUpError({ message: 'Gave up after 2 restarts.', hint: 'Fix it, then start again.' }, previous, 20);
    expect(error).toEqual({
      message: 'Gave up after 2 restarts. Last failure: QEMU exited with code 1 unexpectedly: boom',
      hint: 'Fix it, then start again.',
      exitCode: 1,
      signal: null,
      consoleTail: ['qemu: boom'],
      at: 20,
    });
    expect(gaveUpError({ message: 'Gave up.', hint: 'h' }, null, 1)).toMatchObject({ message: 'Gave up. Last failure: unknown', consoleTail: [] });
  });

  it('tells the user how to end a QEMU that survived SIGKILL', () => {
    expect(unkillableQemu(4242, ['x'], 5)).toEqual({
      message: 'QEMU (pid 4242) did not exit even after SIGKILL.',
      hint: 'End it from Activity Monitor or with kill -9 4242.',
      exitCode: null,
      signal: null,
      consoleTail: ['x'],
      at: 5,
    });
  });
});
