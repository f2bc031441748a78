/**
 * What a settings file that does not fully validate still yields: every value that is good.
 * A bad field falls back to its default; a bad element of a list (one tracked repository, one
 * remote builder) is dropped alone, the others kept; an unknown key is skipped. Each loss is
 * one warning that names the field or element and why, and `lostData` tells the store to keep
 * a copy of the original file before it writes the repaired one.
 */
import type { z } from 'zod';
import { RemoteBuilderSchema, TrackedRepoSchema, type Settings } from '../../ipc/contract.js';
import { describeProblems, type HostLimits, validateSettings } from './validateSettings.js';

export interface RepairInput {
  /** The file's object after migration to the latest version. */
  migrated: Record<string, unknown>;
  defaults: Settings;
  limits: HostLimits;
  /** The file's name, for the warnings. */
  file: string;
}

export interface Repaired {
  settings: Settings;
  /** One sentence per value that was not kept. */
  warnings: string[];
  /** True when saving `settings` would lose something the file held. */
  lostData: boolean;
}

/** The lists whose elements are checked one by one, each with the element's name in words. */
const LISTS: Partial<Record<keyof Settings, { schema: z.ZodType; label: string }>> = {
  remoteBuilders: { schema: RemoteBuilderSchema, label: 'remote builder' },
  trackedRepos: { schema: TrackedRepoSchema, label: 'tracked repository' },
};

export function repairSettings(input: RepairInput): Repaired {
  const { migrated, defaults, limits, file } = input;
  const warnings: string[] = [];
  let lostData = false;
  const merged: Record<string, unknown> = { ...defaults };
  for (const [key, raw] of Object.entries(migrated)) {
    if (!(key in defaults)) {
      warnings.push(`Ignoring unknown setting "${key}" in ${file}.`);
      lostData = true;
      continue;
    }
    let value = raw;
    const list = LISTS[key as keyof Settings];
    if (list && Array.isArray(raw)) {
      const kept = keepValidElements(key, raw, list, file);
      warnings.push(...kept.warnings);
      if (kept.warnings.length > 0) lostData = true;
      value = kept.elements;
    }
    const fallback = defaults[key as keyof Settings];
    merged[key] = isPlainObject(value) && isPlainObject(fallback) ? { ...fallback, ...value } : value;
    const check = validateSettings(merged, limits);
    if (!check.ok && check.problems.some((p) => p.field === key || p.field.startsWith(`${key}.`))) {
      warnings.push(`Setting "${key}" in ${file} was refused (${describeProblems(check.problems)}); using the default.`);
      lostData = true;
      merged[key] = fallback;
    }
  }
  const final = validateSettings(merged, limits);
  if (final.ok) return { settings: final.settings, warnings, lostData };
  warnings.push(`Settings in ${file} were refused as a whole (${describeProblems(final.problems)}); using the defaults.`);
  return { settings: defaults, warnings, lostData: true };
}

/** The elements that fit the element schema, without a second element of the same id. */
function keepValidElements(key: string, elements: unknown[], list: { schema: z.ZodType; label: string }, file: string): { elements: unknown[]; warnings: string[] } {
  const kept: unknown[] = [];
  const warnings: string[] = [];
  const ids = new Set<string>();
  elements.forEach((element, index) => {
    const name = `${list.label} ${nameOf(element, index)} (${key}[${index}])`;
    const parsed = list.schema.safeParse(element);
    if (!parsed.success) {
      const why = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(element)'}: ${issue.message}`).join('; ');
      warnings.push(`Dropped the ${name} in ${file}: ${why}. The other entries of "${key}" are kept.`);
      return;
    }
    const id = (parsed.data as { id: string }).id;
    if (ids.has(id)) {
      warnings.push(`Dropped the ${name} in ${file}: an earlier entry of "${key}" has the same id. The other entries are kept.`);
      return;
    }
    ids.add(id);
    kept.push(parsed.data);
  });
  return { elements: kept, warnings };
}

function nameOf(element: unknown, index: number): string {
  const id = isPlainObject(element) ? element.id : undefined;
  return typeof id === 'string' ? JSON.stringify(id.slice(0, 64)) : `#${index + 1}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
