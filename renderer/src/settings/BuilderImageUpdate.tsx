/**
 * "Update builder image" for the Mac builder: first ask where nixpkgs-unstable is and what moving
 * there fetches (nothing of the builder is fetched yet), then, only on a second click, realise that
 * exact pin. The new pin is saved by the core once the image is there; the builder uses it from
 * its next start.
 */
import { useState } from 'react';
import type { BuilderImagePlan } from '../api/contract.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { useDoor } from '../components/doorContext.js';
import { useRequest } from '../components/useRequest.js';

type Step = { kind: 'idle' } | { kind: 'planned'; plan: BuilderImagePlan } | { kind: 'done'; message: string };

export function BuilderImageUpdate() {
  const { door } = useDoor();
  const [step, setStep] = useState<Step>({ kind: 'idle' });
  // The two steps answer differently (a plan, then the new pin); the key says which one runs.
  const request = useRequest<never>('Could not update the builder image');
  const busyWords =
    request.busyKey === 'check' ? 'Asking Nix where nixpkgs-unstable is…' : step.kind === 'planned' && request.busyKey === 'update' ? `Fetching and realising nixpkgs ${step.plan.next.rev.slice(0, 12)}…` : null;

  const check = (): void =>
    request.send(() => door.api.planBuilderImageUpdate({}), {
      key: 'check',
      what: 'Could not check for a newer builder image',
      onReply: (plan) => setStep(plan.upToDate ? { kind: 'done', message: 'The builder image is up to date.' } : { kind: 'planned', plan }),
    });
  // On a refusal the plan stays, so "Fetch and use it" can be tried again.
  const update = (plan: BuilderImagePlan): void =>
    request.send(() => door.api.updateBuilderImage({ pin: plan.next }), {
      key: 'update',
      onReply: (reply) => setStep({ kind: 'done', message: `Updated to nixpkgs ${reply.pin.rev.slice(0, 12)}; the builder uses it from its next start.` }),
    });

  return (
    <div className="builder-image-update" aria-live="polite">
      {step.kind === 'planned' ? (
        <>
          <p>
            {step.plan.branch} is at <code>{step.plan.next.rev.slice(0, 12)}</code> (the builder runs <code>{step.plan.current.rev.slice(0, 12)}</code>).
            Moving there: {step.plan.cost}.
          </p>
          <button type="button" disabled={request.busy} aria-busy={request.busyKey === 'update'} onClick={() => update(step.plan)}>
            Fetch and use it
          </button>
          <button type="button" disabled={request.busy} onClick={() => setStep({ kind: 'idle' })}>
            Not now
          </button>
        </>
      ) : (
        <button type="button" disabled={request.busy} aria-busy={request.busyKey === 'check'} onClick={check}>
          Update builder image…
        </button>
      )}
      {busyWords ? <p className="muted">{busyWords}</p> : null}
      {step.kind === 'done' ? <p className="muted">{step.message}</p> : null}
      {request.error ? <ErrorNote error={request.error} /> : null}
    </div>
  );
}
