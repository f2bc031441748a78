/**
 * The Add remote builder form's model: text as typed, checked against the contract's
 * `RemoteBuilderSchema` on every keystroke so each field shows the schema's own message.
 * Lists (systems, features) are typed comma- or space-separated.
 */
import { RemoteBuilderSchema, type RemoteBuilder } from '../api/contract.js';

export interface BuilderDraft {
  id: string;
  protocol: RemoteBuilder['protocol'];
  user: string;
  host: string;
  port: string;
  sshKey: string;
  hostKey: string;
  systems: string;
  maxJobs: string;
  speedFactor: string;
  supportedFeatures: string;
}

export type BuilderDraftField = Exclude<keyof BuilderDraft, 'protocol'>;
export type BuilderDraftErrors = Partial<Record<BuilderDraftField, string>>;

export const emptyBuilderDraft: BuilderDraft = {
  id: '',
  protocol: 'ssh-ng',
  user: '',
  host: '',
  port: '22',
  sshKey: '',
  hostKey: '',
  systems: 'x86_64-linux',
  maxJobs: '1',
  speedFactor: '1',
  supportedFeatures: '',
};

const numberFields: ReadonlySet<BuilderDraftField> = new Set(['port', 'maxJobs', 'speedFactor']);

function listFrom(text: string): string[] {
  return text.split(/[\s,]+/).filter((item) => item !== '');
}

function numberFrom(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? Number.NaN : Number(trimmed);
}

export type BuilderDraftCheck = { ok: true; builder: RemoteBuilder } | { ok: false; errors: BuilderDraftErrors };

/**
 * `showEmpty`: also report fields left empty (after the user tried to add); before that an
 * empty field only keeps the Add button disabled.
 */
export function checkBuilderDraft(draft: BuilderDraft, showEmpty = false): BuilderDraftCheck {
  const parsed = RemoteBuilderSchema.safeParse({
    id: draft.id.trim(),
    protocol: draft.protocol,
    user: draft.user.trim(),
    host: draft.host.trim(),
    port: numberFrom(draft.port),
    systems: listFrom(draft.systems),
    maxJobs: numberFrom(draft.maxJobs),
    speedFactor: numberFrom(draft.speedFactor),
    supportedFeatures: listFrom(draft.supportedFeatures),
    sshKey: draft.sshKey.trim(),
    hostKey: draft.hostKey.trim(),
  });
  if (parsed.success) return { ok: true, builder: parsed.data };
  const errors: BuilderDraftErrors = {};
  for (const issue of parsed.error.issues) {
    const field = issue.path[0];
    if (typeof field !== 'string' || field === 'protocol' || !(field in draft)) continue;
    const key = field as BuilderDraftField;
    const typed = draft[key].trim();
    if (typed === '' && !showEmpty && key !== 'systems') continue;
    // zod's own words for NaN or a fraction are about types; say what to type instead.
    const message = numberFields.has(key) && !/^\d+$/.test(typed) ? 'a whole number' : issue.message;
    errors[key] ??= message;
  }
  return { ok: false, errors };
}
