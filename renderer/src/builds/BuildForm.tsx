/**
 * Starts a build: a `.nix` file (absolute path, optional attribute) or an installable. Each
 * keystroke is checked against the contract's schema; the core refuses the same things, but
 * the user should not have to send a build to learn that a path must be absolute.
 */
import { useState } from 'react';
import type { BuildView } from '../api/contract.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { useDoor } from '../components/doorContext.js';
import { TextField } from '../components/TextField.js';
import { useRequest } from '../components/useRequest.js';
import { checkBuildDraft, emptyBuildDraft, type BuildDraft, type BuildDraftField } from './buildDraft.js';


export function BuildForm() {
  const { door } = useDoor();
  const [draft, setDraft] = useState<BuildDraft>(emptyBuildDraft);
  // The queue below shows the new build from the core's `build` event; the reply adds nothing.
  const start = useRequest<BuildView>('Could not start the build');
  const check = checkBuildDraft(draft);
  const errors = check.ok ? {} : check.errors;

  const onChange = (field: BuildDraftField, value: string): void => {
    setDraft({ ...draft, [field]: value });
    start.setError(null);
  };

  return (
    <form
      className="build-form"
      aria-label="Start a build"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        if (check.ok) start.run(() => door.api.startBuild({ target: check.target }));
      }}
    >
      <div className="segmented" role="radiogroup" aria-label="What to build">
        {(['file', 'installable'] as const).map((kind) => (
          <label key={kind} className={draft.kind === kind ? 'segment selected' : 'segment'}>
            <input
              type="radio"
              name="build-kind"
              value={kind}
              checked={draft.kind === kind}
              onChange={() => {
                setDraft({ ...draft, kind });
                start.setError(null);
              }}
            />
            {kind === 'file' ? '.nix file' : 'Installable'}
          </label>
        ))}
      </div>
      {draft.kind === 'file' ? (
        <div className="build-fields">
          <TextField field="file" label="File" placeholder="/path/to/default.nix" value={draft.file} error={errors.file} onChange={onChange} wide mono />
          <TextField field="attr" label="Attribute (optional)" placeholder="hello" value={draft.attr} error={errors.attr} onChange={onChange} wide mono />
        </div>
      ) : (
        <div className="build-fields">
          <TextField
            field="installable"
            label="Installable"
            placeholder="nixpkgs#hello or /path/to/flake#package"
            value={draft.installable}
            error={errors.installable}
            onChange={onChange}
            wide
            mono
          />
        </div>
      )}
      <div className="button-row">
        <button type="submit" className="primary" disabled={!check.ok || start.busy} aria-busy={start.busy}>
          {start.busy ? 'Starting…' : 'Build'}
        </button>
      </div>
      {start.error ? <ErrorNote error={start.error} /> : null}
    </form>
  );
}
