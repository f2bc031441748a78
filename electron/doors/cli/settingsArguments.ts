/**
 * `settings set KEY=VALUE ...` into a settings patch. Keys are dotted paths into the settings
 * object (`restartPolicy.enabled=false`); values are JSON when they parse as JSON (numbers,
 * booleans, null, quoted strings) and plain strings otherwise (`profile=linux-test`). Nothing
 * after the `=` (`nixBinDir=`) is null: "not set, choose automatically". Whether a key exists
 * and a value fits is the core's call (the contract's schema), so its message is the one the
 * user sees.
 */
export type SettingsAssignment = { key: string; value: unknown };

const KEY_PATTERN = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/;

export class SettingsArgumentError extends Error {}

export function parseAssignment(argument: string): SettingsAssignment {
  const equals = argument.indexOf('=');
  if (equals <= 0) throw new SettingsArgumentError(`Expected KEY=VALUE, got ${JSON.stringify(argument)}.`);
  const key = argument.slice(0, equals);
  if (!KEY_PATTERN.test(key)) throw new SettingsArgumentError(`${JSON.stringify(key)} is not a setting name (letters and digits, dotted for nested settings).`);
  return { key, value: parseValue(argument.slice(equals + 1)) };
}

export function parseValue(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Builds one nested patch from all assignments; the same key twice is a mistake, not a choice. */
export function settingsPatchFrom(argumentsList: string[]): Record<string, unknown> {
  if (argumentsList.length === 0) throw new SettingsArgumentError('Nothing to set: give at least one KEY=VALUE.');
  const patch: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (const argument of argumentsList) {
    const { key, value } = parseAssignment(argument);
    if (seen.has(key)) throw new SettingsArgumentError(`${key} is given twice.`);
    seen.add(key);
    const parts = key.split('.');
    let target = patch;
    // Own properties only: `constructor` or `toString` is a name the core refuses as no
    // setting, not one an object inherits.
    for (const part of parts.slice(0, -1)) {
      const existing = Object.hasOwn(target, part) ? target[part] : undefined;
      if (existing !== undefined && (typeof existing !== 'object' || existing === null || Array.isArray(existing))) {
        throw new SettingsArgumentError(`${key} conflicts with ${part}, which is set as a whole.`);
      }
      if (existing === undefined) target[part] = {};
      target = target[part] as Record<string, unknown>;
    }
    const last = parts[parts.length - 1] as string;
    if (Object.hasOwn(target, last)) throw new SettingsArgumentError(`${key} conflicts with another assignment.`);
    target[last] = value;
  }
  return patch;
}

/** Reads a dotted key out of a settings object; `undefined` when there is no such setting. */
export function settingAt(settings: object, key: string): unknown {
  let current: unknown = settings;
  for (const part of key.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.prototype.hasOwnProperty.call(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** `restartPolicy.enabled = true` lines, one per leaf, in the settings' own order. */
export function flattenSettings(settings: object, prefix = ''): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const [key, value] of Object.entries(settings)) {
    const dotted = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) out.push(...flattenSettings(value, dotted));
    else out.push([dotted, value]);
  }
  return out;
}
