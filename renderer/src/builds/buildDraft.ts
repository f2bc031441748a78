/**
 * The Build form's model: what the user typed, checked against the contract's
 * `BuildTargetSchema` on every keystroke, so the schema's own message (an absolute path, no
 * leading "-") shows next to the field before anything is sent. An empty field shows no
 * message, only a disabled Build button.
 */
import { BuildTargetSchema, type BuildTarget } from '../api/contract.js';

export interface BuildDraft {
  kind: BuildTarget['kind'];
  file: string;
  attr: string;
  installable: string;
}

export type BuildDraftField = 'file' | 'attr' | 'installable';
export type BuildDraftErrors = Partial<Record<BuildDraftField, string>>;

export const emptyBuildDraft: BuildDraft = { kind: 'file', file: '', attr: '', installable: '' };

export type BuildDraftCheck = { ok: true; target: BuildTarget } | { ok: false; errors: BuildDraftErrors };

export function checkBuildDraft(draft: BuildDraft): BuildDraftCheck {
  const candidate =
    draft.kind === 'file'
      ? { kind: 'file' as const, file: draft.file.trim(), ...(draft.attr.trim() !== '' ? { attr: draft.attr.trim() } : {}) }
      : { kind: 'installable' as const, installable: draft.installable.trim() };
  const parsed = BuildTargetSchema.safeParse(candidate);
  if (parsed.success) return { ok: true, target: parsed.data };
  const errors: BuildDraftErrors = {};
  for (const issue of parsed.error.issues) {
    const field = issue.path[0];
    if (field !== 'file' && field !== 'attr' && field !== 'installable') continue;
    // Nothing typed yet is not an error worth a red line; the button stays disabled.
    if (draft[field].trim() === '') continue;
    errors[field] ??= issue.message;
  }
  return { ok: false, errors };
}
