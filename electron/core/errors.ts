/**
 * The one error type the core throws on purpose. Doors turn it into the contract's error
 * envelope; anything else becomes `internal`. Every message says what happened and, in
 * `hint`, what the user can do about it.
 */
import type { ErrorCode, ErrorInfo } from '../ipc/contract.js';

export class BuilderBarError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | null;

  constructor(code: ErrorCode, message: string, hint: string | null = null) {
    super(message);
    this.name = 'BuilderBarError';
    this.code = code;
    this.hint = hint;
  }
}

export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof BuilderBarError) {
    return { code: error.code, message: error.message, hint: error.hint };
  }
  const disk = diskErrorInfo(error);
  if (disk) return disk;
  const message = error instanceof Error ? error.message : String(error);
  return {
    code: 'internal',
    message: `Unexpected error: ${message}`,
    hint: 'This is a bug in Builder Bar. The app log (Open Logs, source "app") has the details.',
  };
}

/**
 * A full or read-only disk is not a bug in Builder Bar, and the user can fix it: say which it is,
 * where, and what to do. Files Builder Bar owns are written whole or not at all (temp file and
 * rename), so a refused write leaves the previous content in place.
 */
function diskErrorInfo(error: unknown): ErrorInfo | null {
  if (!(error instanceof Error)) return null;
  const { code, path } = error as NodeJS.ErrnoException;
  const where = typeof path === 'string' ? ` (${path})` : '';
  const kept = 'The file keeps its previous content.';
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return { code: 'disk', message: `The disk is full${where}: ${error.message}`, hint: `Free some space on that disk, then try again. ${kept}` };
    case 'EROFS':
      return {
        code: 'disk',
        message: `The file system is read-only${where}: ${error.message}`,
        hint: `Builder Bar's state dir must be writable: make that file system writable again, or start Builder Bar with another --state-dir. ${kept}`,
      };
    case 'EACCES':
    case 'EPERM':
      return { code: 'disk', message: `Permission denied${where}: ${error.message}`, hint: `Check that your user owns that path and may write it (ls -l shows who does). ${kept}` };
    case 'EMFILE':
    case 'ENFILE':
      return { code: 'disk', message: `Too many open files: ${error.message}`, hint: 'Quit programs you do not need, or raise the limit (ulimit -n), then try again.' };
    default:
      return null;
  }
}
