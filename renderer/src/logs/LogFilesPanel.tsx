/**
 * "Files": where each source's log file is on disk, its size, and a Reveal button that asks the
 * core to show it in the file manager. The core is asked by source name only; it alone knows
 * (and owns) the paths. Where no file manager can be opened, its answer says where the file is.
 */
import { useState } from 'react';
import type { LogFile, LogSource } from '../api/contract.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { useDoor } from '../components/doorContext.js';
import { useRequest } from '../components/useRequest.js';
import { formatBytes } from '../format/format.js';

export function LogFilesPanel() {
  const { door } = useDoor();
  const [open, setOpen] = useState(false);
  const [files, setFiles] = useState<readonly LogFile[] | null>(null);
  const [logDir, setLogDir] = useState<string | null>(null);
  const [revealed, setRevealed] = useState<string | null>(null);
  const request = useRequest<never>('Could not list the log files');

  const toggle = (): void => {
    const next = !open;
    setOpen(next);
    setRevealed(null);
    // Fetched on every opening: sizes grow and build files come and go.
    if (next) {
      request.send(() => door.api.listLogFiles({}), {
        key: 'list',
        onReply: (reply) => {
          setFiles(reply.files);
          setLogDir(reply.logDir);
        },
      });
    }
  };
  const reveal = (source: LogSource): void => {
    setRevealed(null);
    request.send(() => door.api.revealLogFile({ source }), { key: `reveal ${source}`, what: `Could not reveal the ${source} log file`, onReply: (reply) => setRevealed(reply.path) });
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
                  <button type="button" aria-busy={request.busyKey === `reveal ${file.source}`} onClick={() => reveal(file.source)} aria-label={`Reveal ${file.source} log file`}>
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
          {request.error ? <ErrorNote error={request.error} /> : null}
        </div>
      ) : null}
    </span>
  );
}
