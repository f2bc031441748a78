/**
 * What the user is told when the builder fails, as pure functions: which errors are worth an
 * automatic restart, how an exit nobody asked for is put into words, and the error shown when
 * the restarts give up or QEMU outlives SIGKILL. Kept out of the supervisor so the words and the
 * retry decision are tested without a VM.
 */
import type { VmError } from '../../ipc/contract.js';
import { BuilderBarError } from '../errors.js';
import type { ExitInfo } from './qemuProcess.js';
import { ReadinessError } from './readiness.js';

/** A failure with what the status shows about it. */
export interface Failure {
  message: string;
  hint: string | null;
  exitCode?: number | null;
  signal?: string | null;
  /** Worth an automatic restart (an exit or a failed check), unlike a refused host key. */
  retryable: boolean;
}

/** A boot's or a check's error as a failure. */
export function describeFailure(error: unknown): Failure {
  if (error instanceof ReadinessError) {
    return { message: error.message, hint: error.hint, retryable: !error.fatal };
  }
  if (error instanceof BuilderBarError) {
    return { message: error.message, hint: error.hint, retryable: false };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { message: `Starting the builder failed: ${message}`, hint: fileSystemHint(error) ?? 'The app log (Open Logs, source "app") has the details.', retryable: false };
}

/**
 * What to do about a file the start could not write (keys, logs, the boot record, the disk):
 * the errno alone read as a bug, and "see the app log" sent a user with a full disk looking
 * for one. Null for anything else.
 */
function fileSystemHint(error: unknown): string | null {
  const { code, path: file } = error as NodeJS.ErrnoException;
  const where = typeof file === 'string' ? file : "Builder Bar's state dir";
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return `The disk holding ${where} is full: free some space on it, then start the builder again. Nothing was lost.`;
    case 'EROFS':
      return `${where} is on a read-only filesystem: mount it writable (or pick another state dir), then start the builder again.`;
    case 'EACCES':
    case 'EPERM':
      return `Builder Bar may not write ${where}: make it yours again (chown it to your user), then start the builder again.`;
    default:
      return null;
  }
}

/** How QEMU ended, as a verb phrase ("was killed by SIGKILL"). */
export function howQemuEnded(info: ExitInfo): string {
  if (info.signal !== null) return `was killed by ${info.signal}`;
  if (info.exitCode !== null) return `exited with code ${info.exitCode}`;
  return 'exited (no exit code: this core did not start it)';
}

/** An exit nobody asked for; `qemuSaid` is QEMU's own last line, which says more than a code. */
export function unexpectedExit(info: ExitInfo, qemuSaid: string | null): Failure {
  return {
    message: `QEMU ${howQemuEnded(info)} unexpectedly${qemuSaid ? `: ${qemuSaid}` : '.'}`,
    hint: "The console lines below show the guest's last words; the builder restarts automatically unless the restart policy is off.",
    exitCode: info.exitCode,
    signal: info.signal,
    retryable: true,
  };
}

export function toVmError(failure: Failure, consoleTail: string[], at: number): VmError {
  return {
    message: failure.message,
    hint: failure.hint,
    exitCode: failure.exitCode ?? null,
    signal: failure.signal ?? null,
    consoleTail,
    at,
  };
}

/** The restarts gave up: their words, with the failure that was shown before. */
export function gaveUpError(decision: { message: string; hint: string }, previous: VmError | null, at: number): VmError {
  return {
    message: `${decision.message} Last failure: ${previous?.message ?? 'unknown'}`,
    hint: decision.hint,
    exitCode: previous?.exitCode ?? null,
    signal: previous?.signal ?? null,
    consoleTail: previous?.consoleTail ?? [],
    at,
  };
}

/** QEMU is still there after quit and SIGKILL: the user has to end it. */
export function unkillableQemu(pid: number, consoleTail: string[], at: number): VmError {
  return toVmError(
    { message: `QEMU (pid ${pid}) did not exit even after SIGKILL.`, hint: `End it from Activity Monitor or with kill -9 ${pid}.`, exitCode: null, signal: null, retryable: false },
    consoleTail,
    at,
  );
}
