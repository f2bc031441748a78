/**
 * Nix wiring: what Nix is here, the exact change to every file (Plan), Apply, Remove, and a
 * Verify that proves with a real build that Nix uses the builder. Request/response only: the
 * core keeps no wiring state worth mirroring, so the panel asks when the user acts: Nix is
 * detected once when the panel opens and again on "Detect again", never on a timer. Every text
 * from the core (diffs, paths, Nix's stderr) is rendered as text, never as HTML. A plan that
 * meets a file nix-darwin manages (a symbolic link) shows the nix-darwin configuration to paste.
 */
import { useEffect, useId, useState } from 'react';
import type { RequestOutput } from '../api/contract.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { inBackground } from '../components/background.js';
import { useDoor, useMirror } from '../components/doorContext.js';
import { useRequest } from '../components/useRequest.js';
import { CopyableText } from './CopyableText.js';
import {
  canApply,
  confDirError,
  defaultConfDir,
  detectionFacts,
  verifyHeadline,
  type NixDetection,
  type VerifyResult,
  type WiringPlanView,
} from './nixView.js';

type Action = 'detect' | 'plan' | 'apply' | 'remove' | 'verify';

export function NixPanel() {
  const { door } = useDoor();
  // Asking before the door is open would only produce a "no answer" error beside the banner.
  const connected = useMirror((mirror) => mirror.connection.state === 'open');
  const confDirId = useId();
  const [confDir, setConfDir] = useState<string | null>(null);
  // One busy/error for the five actions: at most one runs, and its key marks its button.
  const request = useRequest<never>('Could not change the Nix wiring');
  const busy = request.busyKey as Action | null;
  const [detection, setDetection] = useState<NixDetection | null>(null);
  const [plan, setPlan] = useState<WiringPlanView | null>(null);
  const [outcome, setOutcome] = useState<string[]>([]);
  const [environment, setEnvironment] = useState<string[]>([]);
  const [verify, setVerify] = useState<VerifyResult | null>(null);

  const dir = confDir ?? '';
  const dirError = confDirError(dir);
  const target = dir === '' ? {} : { confDir: dir };

  const detect = (input: { confDir?: string }) => request.send(() => door.api.detectNix(input), { key: 'detect', what: 'Could not look for Nix', onReply: setDetection });
  const showPlan = (value: RequestOutput<'nix.plan'>) => {
    setPlan(value);
    setEnvironment(value.environment);
  };
  const planAgain = () => request.send(() => door.api.planNixWiring(target), { key: 'plan', what: 'Could not plan the wiring', onReply: showPlan });
  const apply = () =>
    request.send(() => door.api.applyNixWiring(target), {
      key: 'apply',
      what: 'Could not apply the wiring',
      onReply: async (value) => {
        setOutcome([value.summary]);
        setEnvironment(value.environment);
        setVerify(null);
        // What the files hold now: the same plan shows nothing left to write. Still "applying"
        // until it is shown, so no other action starts in between.
        const again = await door.api.planNixWiring(target);
        if (again.ok) showPlan(again.value);
        else request.setError(again.error);
      },
    });
  const remove = () =>
    request.send(() => door.api.removeNixWiring({}), {
      key: 'remove',
      what: 'Could not remove the wiring',
      onReply: (value) => {
        setOutcome([
          ...(value.restored.length > 0 ? [`Restored ${value.restored.join(', ')}.`] : []),
          ...(value.deleted.length > 0 ? [`Deleted ${value.deleted.join(', ')}.`] : []),
          ...value.notes,
        ]);
        setPlan(null);
        setVerify(null);
      },
    });
  const verifyWiring = () => request.send(() => door.api.verifyNixWiring(target), { key: 'verify', what: 'Could not verify the wiring', onReply: setVerify });

  // The default target depends on the platform: a directory in the state dir here, /etc/nix on a Mac.
  useEffect(() => {
    if (!connected || confDir !== null) return;
    let live = true;
    inBackground(
      'Could not look for Nix',
      async () => {
        const reply = await door.api.getAppInfo({});
        if (!live) return;
        const initial = reply.ok ? defaultConfDir(reply.value.platform, reply.value.stateDir) : '';
        setConfDir(initial);
        detect(initial === '' ? {} : { confDir: initial });
      },
      (error) => {
        if (live) request.setError(error);
      },
    );
    return () => {
      live = false;
    };
    // Once per door, once it is open: later detections follow the user's clicks.
  }, [door, connected]);

  const disabled = busy !== null || confDir === null || dirError !== null;
  const blocking = detection?.problems.filter((problem) => problem.blocking) ?? [];

  return (
    <section className="panel" aria-labelledby="nix-title" aria-busy={busy !== null}>
      <h2 id="nix-title">Nix wiring</h2>

      {detection ? (
        <dl className="facts" aria-label="Nix on this machine">
          {detectionFacts(detection).map((fact) => (
            <div key={fact.label}>
              <dt>{fact.label}</dt>
              <dd>{fact.value}</dd>
            </div>
          ))}
        </dl>
      ) : (
        <p className="muted">{busy === 'detect' ? 'Looking for Nix…' : 'Nix not checked yet.'}</p>
      )}
      {detection?.problems.map((problem) => (
        <div key={`${problem.code}-${problem.message}`} className={problem.blocking ? 'error-note' : 'warning'} role="note">
          <div>{problem.message}</div>
          <div className="hint">{problem.fix}</div>
        </div>
      ))}

      <div className="field" style={{ marginTop: 8 }}>
        <label htmlFor={confDirId}>Config directory (empty: the system Nix configuration, /etc/nix on a Mac)</label>
        <input
          id={confDirId}
          name="confDir"
          className="mono"
          value={dir}
          disabled={confDir === null}
          spellCheck={false}
          aria-invalid={dirError ? true : undefined}
          aria-describedby={dirError ? `${confDirId}-error` : undefined}
          onChange={(event) => {
            setConfDir(event.target.value);
            // A plan is for one target; an edited target needs a new one.
            setPlan(null);
            setVerify(null);
            setOutcome([]);
          }}
        />
        {dirError ? (
          <span id={`${confDirId}-error`} className="field-error">
            {dirError}
          </span>
        ) : null}
      </div>

      <div className="button-row" style={{ marginTop: 8 }}>
        <button type="button" disabled={disabled} aria-busy={busy === 'detect'} onClick={() => detect(target)}>
          Detect again
        </button>
        <button type="button" disabled={disabled} aria-busy={busy === 'plan'} onClick={planAgain}>
          Plan
        </button>
        <button
          type="button"
          className="primary"
          disabled={disabled || !canApply(plan, detection)}
          aria-busy={busy === 'apply'}
          onClick={apply}
        >
          Apply
        </button>
        <button
          type="button"
          className="danger"
          disabled={busy !== null}
          aria-busy={busy === 'remove'}
          onClick={remove}
        >
          Remove
        </button>
        <button
          type="button"
          disabled={disabled}
          aria-busy={busy === 'verify'}
          onClick={verifyWiring}
        >
          {busy === 'verify' ? 'Verifying… (starts the builder if needed)' : 'Verify'}
        </button>
      </div>
      {request.error ? <ErrorNote error={request.error} /> : null}
      {blocking.length > 0 ? <p className="muted small">Apply waits until the problems above are fixed.</p> : null}

      {outcome.length > 0 ? (
        <div aria-label="Wiring result" aria-live="polite" style={{ marginTop: 6 }}>
          {outcome.map((line) => (
            <div key={line}>{line}</div>
          ))}
        </div>
      ) : null}

      {plan ? <PlanView plan={plan} /> : null}

      {verify ? (
        <div aria-label="Verify result" aria-live="polite" className={verify.ok ? '' : 'error-note'} style={{ marginTop: 6 }}>
          <div>
            <strong>{verify.ok ? 'Verified. ' : 'Verify failed. '}</strong>
            {verifyHeadline(verify)}
          </div>
          {!verify.ok ? (
            <>
              <div className="hint">{verify.failure.fix}</div>
              {verify.failure.stderrTail.length > 0 ? <pre className="console-tail">{verify.failure.stderrTail.join('\n')}</pre> : null}
            </>
          ) : null}
        </div>
      ) : null}

      {environment.length > 0 ? <EnvironmentLines lines={environment} /> : null}
    </section>
  );
}

function PlanView({ plan }: { plan: WiringPlanView }) {
  const changed = plan.files.filter((file) => file.change !== 'none');
  return (
    <div aria-label="Wiring plan" style={{ marginTop: 8 }}>
      <div>{plan.summary}</div>
      {plan.needsAdmin ? <p className="muted small">The system target is written by the macOS admin step.</p> : null}
      {plan.problems.map((problem) => (
        <div key={`${problem.path}-${problem.message}`} className="error-note" role="note">
          {problem.message}
        </div>
      ))}
      {plan.nixDarwinConfig !== null ? (
        <CopyableText
          intro="The same wiring as nix-darwin configuration: add it to your configuration, then run darwin-rebuild switch."
          label="nix-darwin configuration"
          text={plan.nixDarwinConfig}
        />
      ) : null}
      {changed.map((file) => (
        <div key={file.path}>
          <div className="mono small" style={{ marginTop: 6 }}>
            {file.change === 'create' ? 'create' : 'update'} {file.path} (mode {file.mode.toString(8).padStart(4, '0')})
          </div>
          <pre className="console-tail" aria-label={`Change to ${file.path}`}>
            {file.diff}
          </pre>
        </div>
      ))}
    </div>
  );
}

function EnvironmentLines({ lines }: { lines: string[] }) {
  return <CopyableText intro="Make Nix use this directory (in the shell you build from):" label="Environment" text={lines.join('\n')} />;
}
