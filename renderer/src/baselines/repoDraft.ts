/**
 * The Add repository / repository settings form's model: text as typed, checked against the
 * contract's schemas on every keystroke so each field shows the schema's own message. The
 * full-build command is typed one argument per line and stays an array: lines are never joined
 * into a command string, and nothing here splits on spaces or quotes.
 */
import { AddTrackedRepoSchema, TrackedRepoSchema, type BaselineTimeSource, type RequestInput, type TrackedRepo } from '../api/contract.js';

export type IntervalPreset = 'day' | 'week' | 'custom';

export interface RepoDraft {
  path: string;
  intervalPreset: IntervalPreset;
  /** Seconds, used when the preset is `custom`. */
  customSeconds: string;
  timeSource: BaselineTimeSource;
  /** Empty: every local branch. */
  branchPattern: string;
  /** One argument per line. Empty when adding: the core's default command. */
  fullBuild: string;
}

export type RepoDraftField = 'path' | 'customSeconds' | 'branchPattern' | 'fullBuild';
export type RepoDraftErrors = Partial<Record<RepoDraftField, string>>;

const PRESET_SECONDS: Record<Exclude<IntervalPreset, 'custom'>, number> = { day: 86_400, week: 604_800 };

export const emptyRepoDraft: RepoDraft = {
  path: '',
  intervalPreset: 'day',
  customSeconds: '3600',
  timeSource: 'wall-clock',
  branchPattern: '',
  fullBuild: '',
};

/** The settings form starts from what the repository has now. */
export function draftFromRepo(repo: TrackedRepo): RepoDraft {
  const preset: IntervalPreset = repo.intervalSeconds === 86_400 ? 'day' : repo.intervalSeconds === 604_800 ? 'week' : 'custom';
  return {
    path: repo.path,
    intervalPreset: preset,
    customSeconds: String(repo.intervalSeconds),
    timeSource: repo.timeSource,
    branchPattern: repo.branchPattern ?? '',
    fullBuild: repo.fullBuild.join('\n'),
  };
}

/**
 * The argument array as typed: one line, one argument, kept byte for byte (a space inside a
 * line stays inside that argument). Only a line break ends an argument; blank lines are
 * dropped, since an empty argument is never what a line left empty meant.
 */
export function argumentsFromLines(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line !== '');
}

function intervalFrom(draft: RepoDraft): number {
  if (draft.intervalPreset !== 'custom') return PRESET_SECONDS[draft.intervalPreset];
  const typed = draft.customSeconds.trim();
  return /^\d+$/.test(typed) ? Number(typed) : Number.NaN;
}

type AddInput = RequestInput<'baselines.addRepo'>['repo'];
type PatchInput = RequestInput<'baselines.updateRepo'>['patch'];

export type AddCheck = { ok: true; repo: AddInput } | { ok: false; errors: RepoDraftErrors };
export type EditCheck = { ok: true; patch: PatchInput } | { ok: false; errors: RepoDraftErrors };

interface Issue {
  path: readonly PropertyKey[];
  message: string;
}

function errorsFrom(issues: readonly Issue[], draft: RepoDraft, showEmpty: boolean): RepoDraftErrors {
  const errors: RepoDraftErrors = {};
  for (const issue of issues) {
    const [field, index] = issue.path;
    if (field === 'path') {
      if (draft.path.trim() === '' && !showEmpty) continue;
      errors.path ??= issue.message;
    } else if (field === 'intervalSeconds') {
      errors.customSeconds ??= Number.isNaN(intervalFrom(draft)) ? 'a whole number of seconds' : issue.message;
    } else if (field === 'branchPattern') {
      errors.branchPattern ??= issue.message;
    } else if (field === 'fullBuild') {
      // Say which line: the user counts lines, not array indexes.
      errors.fullBuild ??= typeof index === 'number' ? `line ${index + 1}: ${issue.message}` : issue.message;
    }
  }
  return errors;
}

/**
 * `showEmpty`: also report a path left empty (after the user tried to add); before that an
 * empty path only keeps the Add button disabled.
 */
export function checkAddDraft(draft: RepoDraft, showEmpty = false): AddCheck {
  const fullBuild = argumentsFromLines(draft.fullBuild);
  const pattern = draft.branchPattern.trim();
  const candidate = {
    path: draft.path.trim(),
    intervalSeconds: intervalFrom(draft),
    timeSource: draft.timeSource,
    ...(pattern === '' ? {} : { branchPattern: pattern }),
    ...(fullBuild.length === 0 ? {} : { fullBuild }),
  };
  const parsed = AddTrackedRepoSchema.safeParse(candidate);
  if (parsed.success) return { ok: true, repo: parsed.data };
  return { ok: false, errors: errorsFrom(parsed.error.issues, draft, showEmpty) };
}

/** The settings form: every field but the path, which identifies the work tree. */
export function checkEditDraft(draft: RepoDraft): EditCheck {
  const pattern = draft.branchPattern.trim();
  const PatchSchema = TrackedRepoSchema.omit({ id: true, path: true });
  const parsed = PatchSchema.safeParse({
    intervalSeconds: intervalFrom(draft),
    timeSource: draft.timeSource,
    branchPattern: pattern === '' ? null : pattern,
    fullBuild: argumentsFromLines(draft.fullBuild),
  });
  if (parsed.success) return { ok: true, patch: parsed.data };
  return { ok: false, errors: errorsFrom(parsed.error.issues, draft, true) };
}
