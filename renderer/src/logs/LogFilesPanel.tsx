/**
 * "Files": where each source's log file is on disk, its size, and a Reveal button that asks the
 * core to show it in the file manager. The core is asked by source name only; it alone knows
 * (and owns) the paths. Where no file manager can be opened, its answer says where the file is.
 */
import { useState } from 'react';
import type { ErrorInfo, LogFile, LogSource } from '../api/contract.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { inBackground } from '../components/background.js';
import { useDoor } from '../components/doorContext.js';
import { formatBytes } from '../format/format.js';

export function LogFilesPanel() {
  const { door } = useDoor();
  const [open, setOpen] = useState(false);
  const [files, setFiles] = useState<readonly LogFile[] | null>(null);
  const [logDir, setLogDir] = useState<string | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [revealed, setRevealed] = useState<string | null>(null);

  const load = async (): Promise<void> => {
    setError(null);
    const reply = await door.api.listLogFiles({});
    if (reply.ok) {
      setFiles(reply.value.files);
      setLogDir(reply.value.logDir);
    } else {
      setError(reply.error);
    }
  };
  const toggle = (): void => {
    const next = !open;
    setOpen(next);
    setRevealed(null);
    // Fetched on every opening: sizes grow and build files come and go.
    if (next) inBackground('Could not list the log files', load, setError);
  };
  const reveal = async (source: LogSource): Promise<void> => {
    setError(null);
    setRevealed(null);
    const reply = await door.api.revealLogFile({ source });
    if (reply.ok) setRevealed(reply.value.path);
    else setError(reply.error);
  };

  return (
    <span className="log-files">
      <button type="button" aria-expanded={open} aria-controls="log-files-panel" onClick={toggle}>
        Files
      </button>
      {open ? (
        <div id="log-files-panel" className="log-files-panel" role="region" aria-label="Log files">
          {logDir ? <div className="muted small mono">Folder: {logDir}</div> : null}
          {files === null ? (
            <div className="muted small">Loading…</div>
          ) : files.length === 0 ? (
            <div className="muted small">No log file written yet.</div>
          ) : (
            <ul>
              {files.map((file) => (
                <li key={file.source} aria-label={`Log file ${file.source}`}>
                  <span className="log-source">{file.source}</span>{' '}
                  <span className="mono small">{file.path}</span>{' '}
                  <span className="muted small">{formatBytes(file.sizeBytes)}</span>{' '}
                  <button type="button" onClick={() => inBackground(`Could not reveal the ${file.source} log file`, () => reveal(file.source), setError)} aria-label={`Reveal ${file.source} log file`}>
                    Reveal
                  </button>
                </li>
              ))}
            </ul>
          )}
          {revealed ? (
            <div className="muted small" role="status">
              Shown in the file manager: <span className="mono">{revealed}</span>
            </div>
          ) : null}
          {error ? <ErrorNote error={error} /> : null}
        </div>
      ) : null}
    </span>
  );
}
