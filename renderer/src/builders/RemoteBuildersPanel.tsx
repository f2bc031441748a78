/**
 * Remote SSH builders beside the VM: each with its last health check (state, message, latency,
 * Nix version), Check and Remove; and a form to add one, checked against the contract's schema
 * as the user types. Nix itself spreads builds across them; nothing is scheduled here.
 */
import { useId, useState } from 'react';
import type { RemoteBuilderHealth, RemoteBuilderList } from '../api/contract.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { useRequest, type Request } from '../components/useRequest.js';
import { TextField } from '../components/TextField.js';
import { useDoor, useMirror } from '../components/doorContext.js';
import type { StateTone } from '../format/format.js';
import { checkBuilderDraft, emptyBuilderDraft, type BuilderDraft, type BuilderDraftField } from './builderDraft.js';

const healthWords: Record<RemoteBuilderHealth['state'], { word: string; tone: StateTone }> = {
  unknown: { word: 'Not checked', tone: 'neutral' },
  checking: { word: 'Checking…', tone: 'busy' },
  ok: { word: 'OK', tone: 'good' },
  unreachable: { word: 'Unreachable', tone: 'bad' },
  'auth-failed': { word: 'Login refused', tone: 'bad' },
  'host-key-mismatch': { word: 'Host key mismatch', tone: 'bad' },
  'no-nix': { word: 'No Nix', tone: 'bad' },
};

type Entry = RemoteBuilderList['builders'][number];

/** The panel's one request: the list updates from the core's `builders` event, the reply only says whether it worked. */
type BuildersRequest = Request<RemoteBuilderList>;

function BuilderItem({ entry, request }: { entry: Entry; request: BuildersRequest }) {
  const { door } = useDoor();
  const { builder, health } = entry;
  const what = `The request about builder ${builder.id} failed`;
  const words = healthWords[health.state];
  return (
    <li className="remote-builder" aria-label={`Remote builder ${builder.id}`}>
      <div className="build-line">
        <span className={`dot dot-${words.tone}`} aria-hidden="true" />
        <strong>{builder.id}</strong>
        <span className="mono small">
          {builder.protocol}://{builder.user}@{builder.host}:{builder.port}
        </span>
        <span className="spacer" />
        <button type="button" className="small-button" disabled={request.busy} onClick={() => request.send(() => door.api.checkRemoteBuilders({ id: builder.id }), { key: `check ${builder.id}`, what })}>
          Check
        </button>
        <button type="button" className="small-button danger" disabled={request.busy} onClick={() => request.send(() => door.api.removeRemoteBuilder({ id: builder.id }), { key: `remove ${builder.id}`, what })}>
          Remove
        </button>
      </div>
      <div className="build-facts small">
        <span aria-label="Health">{words.word}</span>
        <span className="muted">{builder.systems.join(', ')}</span>
        <span className="muted">
          {builder.maxJobs} {builder.maxJobs === 1 ? 'job' : 'jobs'} · speed {builder.speedFactor}
        </span>
        {health.latencyMs !== null ? <span className="muted">{Math.round(health.latencyMs)} ms</span> : null}
        {health.nixVersion ? <span className="muted">Nix {health.nixVersion}</span> : null}
      </div>
      {health.message ? <div className={words.tone === 'bad' ? 'build-error' : 'muted small'}>{health.message}</div> : null}
    </li>
  );
}

/** A field of the add form: the shared TextField bound to the builder draft. */
function DraftField(props: {
  field: BuilderDraftField;
  label: string;
  placeholder?: string;
  wide?: boolean;
  draft: BuilderDraft;
  error: string | undefined;
  onChange(field: BuilderDraftField, value: string): void;
}) {
  return <TextField {...props} value={props.draft[props.field]} />;
}

function AddBuilderForm({ request }: { request: BuildersRequest }) {
  const { door } = useDoor();
  const protocolId = useId();
  const [draft, setDraft] = useState<BuilderDraft>(emptyBuilderDraft);
  const [tried, setTried] = useState(false);
  const check = checkBuilderDraft(draft, tried);
  const errors = check.ok ? {} : check.errors;
  const onChange = (field: BuilderDraftField, value: string): void => setDraft({ ...draft, [field]: value });
  const props = { draft, onChange };

  return (
    <form
      className="builder-form"
      aria-label="Add a remote builder"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        setTried(true);
        if (!check.ok) return;
        const builder = check.builder;
        request.send(() => door.api.addRemoteBuilder({ builder }), {
          key: 'add',
          what: 'Could not add the builder',
          onReply: () => {
            setDraft(emptyBuilderDraft);
            setTried(false);
          },
        });
      }}
    >
      <div className="field-grid">
        <DraftField field="id" label="Name" placeholder="big-box" {...props} error={errors.id} />
        <DraftField field="host" label="Host" placeholder="builder.example.org" {...props} error={errors.host} />
        <DraftField field="port" label="Port" {...props} error={errors.port} />
        <DraftField field="user" label="User" placeholder="nix" {...props} error={errors.user} />
        <div className="field">
          <label htmlFor={protocolId}>Protocol</label>
          <select
            id={protocolId}
            name="protocol"
            value={draft.protocol}
            onChange={(event) => setDraft({ ...draft, protocol: event.target.value === 'ssh' ? 'ssh' : 'ssh-ng' })}
          >
            <option value="ssh-ng">ssh-ng (nix-daemon)</option>
            <option value="ssh">ssh (nix-store --serve)</option>
          </select>
        </div>
        <DraftField field="systems" label="Systems" placeholder="x86_64-linux, aarch64-linux" {...props} error={errors.systems} />
        <DraftField field="maxJobs" label="Max jobs" {...props} error={errors.maxJobs} />
        <DraftField field="speedFactor" label="Speed factor" {...props} error={errors.speedFactor} />
        <DraftField field="supportedFeatures" label="Features" placeholder="big-parallel kvm" {...props} error={errors.supportedFeatures} />
      </div>
      <DraftField field="sshKey" label="Private key" placeholder="/Users/me/.ssh/id_ed25519" wide {...props} error={errors.sshKey} />
      <DraftField
        field="hostKey"
        label="Host key (from ssh-keyscan -t ed25519 HOST)"
        placeholder="ssh-ed25519 AAAA…"
        wide
        {...props}
        error={errors.hostKey}
      />
      <div className="button-row">
        <button type="submit" className="primary" disabled={request.busy || (tried && !check.ok)}>
          Add builder
        </button>
      </div>
    </form>
  );
}

export function RemoteBuildersPanel() {
  const builders = useMirror((mirror) => mirror.remoteBuilders);
  const request = useRequest<RemoteBuilderList>('The request about the remote builders failed');
  const [adding, setAdding] = useState(false);

  return (
    <section className="panel" aria-labelledby="remote-builders-title">
      <div className="panel-title">
        <h2 id="remote-builders-title">Remote builders</h2>
        <button type="button" className="small-button" aria-expanded={adding} onClick={() => setAdding(!adding)}>
          {adding ? 'Close' : 'Add…'}
        </button>
      </div>
      {builders === null ? (
        <p className="muted">Loading…</p>
      ) : builders.length === 0 ? (
        <p className="muted">Only the builder VM. Add SSH builders here and Nix spreads builds across all of them.</p>
      ) : (
        <ul className="builds" aria-label="Remote builders">
          {builders.map((entry) => (
            <BuilderItem
              key={entry.builder.id}
              entry={entry}
              request={request}
            />
          ))}
        </ul>
      )}
      {request.error ? <ErrorNote error={request.error} /> : null}
      {adding ? <AddBuilderForm request={request} /> : null}
    </section>
  );
}
