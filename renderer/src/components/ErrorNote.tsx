import type { ErrorInfo } from '../api/contract.js';

/** An error envelope as the user reads it: what happened, then what to do. */
export function ErrorNote({ error }: { error: ErrorInfo }) {
  return (
    <div className="error-note" role="alert">
      <div>{error.message}</div>
      {error.hint ? <div className="hint">{error.hint}</div> : null}
    </div>
  );
}
