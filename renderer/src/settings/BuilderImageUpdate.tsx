/**
 * "Update builder image" for the Mac builder: first ask where nixpkgs-unstable is and what moving
 * there fetches (nothing of the builder is fetched yet), then, only on a second click, realise that
 * exact pin. The new pin is saved by the core once the image is there; the builder uses it from
 * its next start.
 */
import { useState } from 'react';
import type { BuilderImagePlan, ErrorInfo } from '../api/contract.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { inBackground } from '../components/background.js';
import { useDoor } from '../components/doorContext.js';

type Step =
  | { kind: 'idle' }
  | { kind: 'busy'; what: string }
  | { kind: 'planned'; plan: BuilderImagePlan }
  | { kind: 'done'; message: string };

export function BuilderImageUpdate() {
  const { door } = useDoor();
  const [step, setStep] = useState<Step>({ kind: 'idle' });
  const [error, setError] = useState<ErrorInfo | null>(null);

  const check = async (): Promise<void> => {
    setError(null);
    setStep({ kind: 'busy', what: 'Asking Nix where nixpkgs-unstable is…' });
    const reply = await door.api.planBuilderImageUpdate({});
    if (reply.ok) setStep(reply.value.upToDate ? { kind: 'done', message: 'The builder image is up to date.' } : { kind: 'planned', plan: reply.value });
    else {
      setStep({ kind: 'idle' });
      setError(reply.error);
    }
  };

  const update = async (plan: BuilderImagePlan): Promise<void> => {
    setError(null);
    setStep({ kind: 'busy', what: `Fetching and realising nixpkgs ${plan.next.rev.slice(0, 12)}…` });
    const reply = await door.api.updateBuilderImage({ pin: plan.next });
    if (reply.ok) setStep({ kind: 'done', message: `Updated to nixpkgs ${reply.value.pin.rev.slice(0, 12)}; the builder uses it from its next start.` });
    else {
      setStep({ kind: 'planned', plan });
      setError(reply.error);
    }
  };

  return (
    <div className="builder-image-update" aria-live="polite">
      {step.kind === 'planned' ? (
        <>
          <p>
            {step.plan.branch} is at <code>{step.plan.next.rev.slice(0, 12)}</code> (the builder runs <code>{step.plan.current.rev.slice(0, 12)}</code>).
            Moving there: {step.plan.cost}.
          </p>
          <button type="button" onClick={() => inBackground('Could not update the builder image', () => update(step.plan), setError)}>
            Fetch and use it
          </button>
          <button type="button" onClick={() => setStep({ kind: 'idle' })}>Not now</button>
        </>
      ) : (
        <button type="button" disabled={step.kind === 'busy'} onClick={() => inBackground('Could not check for a newer builder image', check, setError)}>
          Update builder image…
        </button>
      )}
      {step.kind === 'busy' ? <p className="muted">{step.what}</p> : null}
      {step.kind === 'done' ? <p className="muted">{step.message}</p> : null}
      {error ? <ErrorNote error={error} /> : null}
    </div>
  );
}
