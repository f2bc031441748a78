/**
 * The settings form. Every keystroke is checked against the contract's schema and the schema's
 * message shows next to the field; Save sends only what changed and then shows the effects
 * the core reports ("Restart the builder to apply", "…applies only to a new disk", "Builder Bar
 * now uses Nix 2.34.8 in …"). The Nix directory field says which Nix is in use, so leaving it
 * empty (automatic) shows what automatic finds.
 */
import { FieldError } from '../components/TextField.js';
import { useId, useState, type ReactNode } from 'react';
import type { NixInUse, RequestOutput, Settings, SettingsEffects } from '../api/contract.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { useRequest } from '../components/useRequest.js';
import { BuilderImageUpdate } from '../settings/BuilderImageUpdate.js';
import { UpstreamDisks } from '../settings/UpstreamDisks.js';
import { useDoor } from '../components/doorContext.js';
import {
  checkDraft,
  draftFromSettings,
  isEmptyPatch,
  nixBinDirHint,
  patchBetween,
  type DraftField,
  type FieldErrors,
  type SettingsDraft,
} from '../settings/settingsDraft.js';

interface FieldProps {
  field: DraftField;
  label: string;
  unit?: string;
  draft: SettingsDraft;
  errors: FieldErrors;
  onChange(field: DraftField, value: string | boolean): void;
  disabled?: boolean;
}

function NumberField({ field, label, unit, draft, errors, onChange, disabled }: FieldProps) {
  const id = useId();
  const error = errors[field];
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="field-input">
        <input
          id={id}
          name={field}
          inputMode="numeric"
          value={String(draft[field])}
          disabled={disabled}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
          onChange={(event) => onChange(field, event.target.value)}
        />
        {unit ? <span className="unit">{unit}</span> : null}
      </div>
      <FieldError id={id} error={error} />
    </div>
  );
}

function CheckboxField({ field, label, draft, onChange, children }: FieldProps & { children?: ReactNode }) {
  const id = useId();
  return (
    <div className="field field-checkbox">
      <input
        id={id}
        type="checkbox"
        name={field}
        checked={Boolean(draft[field])}
        onChange={(event) => onChange(field, event.target.checked)}
      />
      <label htmlFor={id}>{label}</label>
      {children}
    </div>
  );
}

/** The Nix directory: empty for automatic, with the Nix in use as its hint. */
function NixBinDirField({ draft, errors, onChange, nix, saved }: Omit<FieldProps, 'field' | 'label'> & { nix: NixInUse | null; saved: string | null }) {
  const id = useId();
  const error = errors.nixBinDir;
  const hint = nixBinDirHint(draft.nixBinDir, saved, nix);
  return (
    <div className="field field-wide">
      <label htmlFor={id}>Nix directory</label>
      <input
        id={id}
        name="nixBinDir"
        className="mono"
        spellCheck={false}
        autoComplete="off"
        placeholder="automatic"
        value={draft.nixBinDir}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error ${id}-hint` : `${id}-hint`}
        onChange={(event) => onChange('nixBinDir', event.target.value)}
      />
      <span id={`${id}-hint`} className={hint.warn ? 'hint warn-text' : 'hint muted'}>
        {hint.text}
      </span>
      <FieldError id={id} error={error} />
    </div>
  );
}

/** A one-line text setting (monospace: hashes and revisions are read character by character). */
function TextField({ field, label, draft, errors, onChange, hint }: FieldProps & { hint: string }) {
  const id = useId();
  const error = errors[field];
  return (
    <div className="field field-wide">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        name={field}
        className="mono"
        spellCheck={false}
        autoComplete="off"
        value={String(draft[field])}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error ${id}-hint` : `${id}-hint`}
        onChange={(event) => onChange(field, event.target.value)}
      />
      <span id={`${id}-hint`} className="hint muted">{hint}</span>
      <FieldError id={id} error={error} />
    </div>
  );
}

/** What was wrong with settings.json when the core started (app info), so a hand edit that did not take is seen here. */
function LoadNotices({ notices }: { notices: readonly string[] }) {
  if (notices.length === 0) return null;
  return (
    <div className="warning" role="note" aria-label="Settings file problems">
      <div>When Builder Bar started, its settings file was not used as written:</div>
      <ul>
        {notices.map((notice) => (
          <li key={notice}>{notice}</li>
        ))}
      </ul>
    </div>
  );
}

export function SettingsForm({ settings, nix, notices }: { settings: Settings | null; nix: NixInUse | null; notices: readonly string[] }) {
  const { door } = useDoor();
  // While the user edits, the form holds their draft; otherwise it shows the core's settings.
  const [editing, setEditing] = useState<SettingsDraft | null>(null);
  const [effects, setEffects] = useState<SettingsEffects | null>(null);
  const saving = useRequest<RequestOutput<'settings.set'>>('Could not save the settings');

  if (!settings) {
    return (
      <section className="panel" aria-labelledby="settings-title">
        <h2 id="settings-title">Settings</h2>
        <p className="muted">Loading…</p>
      </section>
    );
  }

  const draft = editing ?? draftFromSettings(settings);
  const check = checkDraft(draft, settings);
  const errors = check.ok ? {} : check.errors;
  const patch = check.ok ? patchBetween(settings, check.settings) : null;
  const canSave = !saving.busy && patch !== null && !isEmptyPatch(patch);

  const onChange = (field: DraftField, value: string | boolean): void => {
    setEditing({ ...draft, [field]: value });
    setEffects(null);
    saving.setError(null);
  };

  const save = (): void => {
    if (!patch || isEmptyPatch(patch)) return;
    saving.run(() => door.api.setSettings({ patch }), {
      onReply: (reply) => {
        setEditing(null);
        setEffects(reply.effects);
      },
    });
  };

  const props = { draft, errors, onChange };
  return (
    <section className="panel" aria-labelledby="settings-title">
      <h2 id="settings-title">Settings</h2>
      <LoadNotices notices={notices} />
      <form
        className="settings"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          save();
        }}
      >
        <div className="field-grid">
          <NumberField field="cpus" label="CPUs" {...props} />
          <NumberField field="memoryMiB" label="Memory" unit="MiB" {...props} />
          <NumberField field="diskGiB" label="Disk" unit="GiB" {...props} />
          <NumberField field="hostPort" label="Host port" {...props} />
          <NumberField field="ringLines" label="Log lines kept" unit="per source" {...props} />
        </div>
        <NixBinDirField nix={nix} saved={settings.nixBinDir} {...props} />
        {settings.profile === 'darwin-linux-builder' ? (
          <fieldset className="builder-image">
            <legend>Builder image (nixpkgs' darwin.linux-builder)</legend>
            <TextField field="nixpkgsRev" label="nixpkgs revision" hint="A full commit of NixOS/nixpkgs. The image is realised once per revision, at the next start." {...props} />
            <TextField field="nixpkgsNarHash" label="narHash" hint="The revision's source hash, as a flake.lock records it (sha256-…=); Nix refuses a source that does not match." {...props} />
            <BuilderImageUpdate />
            <UpstreamDisks />
          </fieldset>
        ) : null}
        <CheckboxField field="hostPortAuto" label="Use the next free port when the host port is taken" {...props} />
        <CheckboxField field="openAtLogin" label="Open Builder Bar at login" {...props} />
        <CheckboxField field="startOnLaunch" label="Start the builder when Builder Bar launches" {...props} />
        <fieldset className="on-demand">
          <legend>On demand</legend>
          <CheckboxField field="onDemand" label="Keep the builder stopped until Nix connects (apply the Nix wiring again after changing this)" {...props} />
          <div className="field-grid">
            <NumberField field="idleStopMinutes" label="Stop it after" unit="minutes with no build and no ssh session" disabled={!draft.onDemand} {...props} />
          </div>
        </fieldset>
        <fieldset className="restart-policy">
          <legend>Restart policy</legend>
          <CheckboxField field="restartEnabled" label="Restart after an unexpected exit" {...props} />
          <div className="field-grid">
            <NumberField
              field="restartMaxPerMinute"
              label="At most"
              unit="restarts a minute"
              disabled={!draft.restartEnabled}
              {...props}
            />
            <NumberField
              field="restartGiveUpAfter"
              label="Give up after"
              unit="failed restarts"
              disabled={!draft.restartEnabled}
              {...props}
            />
          </div>
        </fieldset>
        {!check.ok && check.formError ? <div className="field-error">{check.formError}</div> : null}
        <div className="button-row">
          <button type="submit" className="primary" disabled={!canSave}>
            {saving.busy ? 'Saving…' : 'Save'}
          </button>
          <button
            type="button"
            disabled={editing === null || saving.busy}
            onClick={() => {
              setEditing(null);
              saving.setError(null);
            }}
          >
            Revert
          </button>
        </div>
        {saving.error ? <ErrorNote error={saving.error} /> : null}
        <div className="effects" aria-live="polite" aria-label="Settings saved">
          {effects
            ? effects.messages.length > 0
              ? effects.messages.map((message) => (
                  <div key={message} className="effect">
                    {message}
                  </div>
                ))
              : 'Saved.'
            : null}
        </div>
      </form>
    </section>
  );
}
