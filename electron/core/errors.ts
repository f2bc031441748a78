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
  const message = error instanceof Error ? error.message : String(error);
  return {
    code: 'internal',
    message: `Unexpected error: ${message}`,
    hint: 'This is a bug in Builder Bar. The app log (Open Logs, source "app") has the details.',
  };
}
