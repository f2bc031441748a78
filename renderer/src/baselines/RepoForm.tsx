/**
 * The form that adds a tracked repository, and the same form as a repository's settings: the
 * work tree path (add only), the boundary interval (a day, a week, or seconds), the time source,
 * the branch pattern and the full-build command, one argument per line. Field errors come from
 * the contract's schemas as the user types; the core's refusal (not a git work tree, already
 * tracked…) shows inside the form, where the user is looking.
 */
import { useId, useState } from 'react';
import type { BaselinesList, Envelope } from '../api/contract.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { useRequest } from '../components/useRequest.js';
import { FieldError, TextField } from '../components/TextField.js';
import { timeSourceWords } from './baselineView.js';
import { checkAddDraft, checkEditDraft, type IntervalPreset, type RepoDraft, type RepoDraftErrors, type RepoDraftField } from './repoDraft.js';

const presetWords: Record<IntervalPreset, string> = { day: 'Day', week: 'Week', custom: 'Seconds' };

export type RepoFormSubmit = (draft: RepoDraft) => Promise<Envelope<BaselinesList>> | null;

export function RepoForm(props: {
  mode: 'add' | 'edit';
  initial: RepoDraft;
  /** The request for a valid draft, or null when the draft does not pass its schema. */
  submit: RepoFormSubmit;
  /** Called once the core took the change. */
  done(): void;
}) {
  const { mode, initial, submit, done } = props;
  const fullBuildId = useId();
  // Radio groups are named per form: two settings forms open at once must not share a group.
  const radioName = useId();
  const [draft, setDraft] = useState<RepoDraft>(initial);
  const [tried, setTried] = useState(false);
  // The core's refusal (not a git work tree, already tracked…) shows inside the form.
  const saving = useRequest<BaselinesList>(mode === 'add' ? 'Could not add the repository' : 'Could not save the repository settings');
  const check = mode === 'add' ? checkAddDraft(draft, tried) : checkEditDraft(draft);
  const errors: RepoDraftErrors = check.ok ? {} : check.errors;
  const onChange = (field: RepoDraftField, value: string): void => {
    setDraft({ ...draft, [field]: value });
    saving.setError(null);
  };
  const fullBuildError = errors.fullBuild;

  return (
    <form
      className="builder-form baseline-form"
      aria-label={mode === 'add' ? 'Add a repository' : 'Repository settings'}
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        setTried(true);
        const request = submit(draft);
        if (request === null) return;
        saving.run(() => request, { onReply: done });
      }}
    >
      {mode === 'add' ? (
        <TextField field="path" label="Work tree path" placeholder="/Users/me/src/app" value={draft.path} error={errors.path} onChange={onChange} wide mono />
      ) : null}
      <div className="baseline-form-row">
        <div className="segmented" role="radiogroup" aria-label="Interval">
          {(['day', 'week', 'custom'] as const).map((preset) => (
            <label key={preset} className={draft.intervalPreset === preset ? 'segment selected' : 'segment'}>
              <input
                type="radio"
                name={`${radioName}-interval`}
                value={preset}
                checked={draft.intervalPreset === preset}
                onChange={() => setDraft({ ...draft, intervalPreset: preset })}
              />
              {presetWords[preset]}
            </label>
          ))}
        </div>
        {draft.intervalPreset === 'custom' ? (
          <TextField field="customSeconds" label="Interval in seconds" value={draft.customSeconds} error={errors.customSeconds} onChange={onChange} mono />
        ) : null}
        <div className="segmented" role="radiogroup" aria-label="Time source">
          {(['wall-clock', 'tip-commit'] as const).map((source) => (
            <label key={source} className={draft.timeSource === source ? 'segment selected' : 'segment'}>
              <input
                type="radio"
                name={`${radioName}-time-source`}
                value={source}
                checked={draft.timeSource === source}
                onChange={() => setDraft({ ...draft, timeSource: source })}
              />
              {timeSourceWords[source]}
            </label>
          ))}
        </div>
      </div>
      <TextField
        field="branchPattern"
        label="Branches (a pattern under refs/heads; empty: every local branch)"
        placeholder="release/*"
        value={draft.branchPattern}
        error={errors.branchPattern}
        onChange={onChange}
        wide
        mono
      />
      <div className="field field-wide">
        <label htmlFor={fullBuildId}>Full-build command, one argument per line ({'{rev}'}, {'{repo}'}, {'{repoUrl}'}, {'{branch}'} are replaced whole)</label>
        <textarea
          id={fullBuildId}
          name="fullBuild"
          className="mono"
          rows={4}
          spellCheck={false}
          autoComplete="off"
          placeholder={mode === 'add' ? 'empty: the default full build' : undefined}
          value={draft.fullBuild}
          aria-invalid={fullBuildError ? true : undefined}
          aria-describedby={fullBuildError ? `${fullBuildId}-error` : undefined}
          onChange={(event) => onChange('fullBuild', event.target.value)}
        />
        <FieldError id={fullBuildId} error={fullBuildError} />
      </div>
      {saving.error ? <ErrorNote error={saving.error} /> : null}
      <div className="button-row">
        <button type="submit" className="primary" disabled={saving.busy || (tried && !check.ok)}>
          {mode === 'add' ? 'Add repository' : 'Save settings'}
        </button>
      </div>
    </form>
  );
}
