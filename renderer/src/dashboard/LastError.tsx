/**
 * The last failure as the supervisor recorded it: message, hint, exit code, the console lines
 * right before it, and what the restart policy is doing about it.
 */
import type { RestartInfo, VmError } from '../api/contract.js';
import { useNow } from '../components/useNow.js';
import { describeRestart, formatClock, stripAnsi } from '../format/format.js';

export function LastError({ error, restart }: { error: VmError | null; restart: RestartInfo }) {
  const now = useNow();
  const restartText = describeRestart(restart, now);
  if (!error && !restartText) return null;
  return (
    <section className="panel panel-error" aria-labelledby="error-title">
      <h2 id="error-title">Last error</h2>
      {error ? (
        <>
          <div className="error-message">{error.message}</div>
          {error.hint ? <div className="hint">{error.hint}</div> : null}
          <div className="muted small">
            {formatClock(error.at)}
            {error.exitCode !== null ? ` · exit code ${error.exitCode}` : ''}
            {error.signal ? ` · signal ${error.signal}` : ''}
          </div>
        </>
      ) : null}
      {restartText ? <div className={restart.gaveUp ? 'restart gave-up' : 'restart'}>{restartText}</div> : null}
      {error && error.consoleTail.length > 0 ? (
        <pre className="console-tail" aria-label="Console before the error">
          {error.consoleTail.map(stripAnsi).join('\n')}
        </pre>
      ) : null}
    </section>
  );
}
