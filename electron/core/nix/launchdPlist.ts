/**
 * An XML property list (what launchd reads from /Library/LaunchDaemons), built from data: every
 * string and key goes through one escaper, so no value can close a tag or open a new key. The
 * file is installed by root, so a value XML 1.0 cannot carry at all (a control character other
 * than tab and newline, an unpaired surrogate, U+FFFE or U+FFFF) is refused instead of being
 * written as something launchd would read differently or reject.
 *
 * Dictionaries keep the order given (launchd does not care; a reader of the plan's diff does).
 */

export type PlistValue = string | number | boolean | readonly PlistValue[] | PlistDict;
/** Ordered entries, so the text is the same on every run. */
export interface PlistDict {
  readonly entries: ReadonlyArray<readonly [string, PlistValue]>;
}

export function plistDict(entries: ReadonlyArray<readonly [string, PlistValue]>): PlistDict {
  return { entries };
}

/** Why XML 1.0 cannot carry this text, or null when it can. */
export function plistTextProblem(text: string): string | null {
  // XML 1.0's Char production: tab, LF, CR and everything from U+0020 except surrogates, U+FFFE, U+FFFF.
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(text)) return 'it holds a control character';
  if (/[\ufffe\uffff]/.test(text)) return 'it holds U+FFFE or U+FFFF, which are not characters';
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text)) return 'it holds an unpaired surrogate';
  // A carriage return would reach launchd as a line feed (XML normalizes line ends).
  if (text.includes('\r')) return 'it holds a carriage return';
  return null;
}

/** `&`, `<` and `>` as entities; anything XML cannot carry is refused. */
export function plistEscape(text: string): string {
  const problem = plistTextProblem(text);
  if (problem) throw new Error(`A property list cannot hold ${JSON.stringify(text.slice(0, 80))}: ${problem}.`);
  return text.replace(/[&<>]/g, (char) => (char === '&' ? '&amp;' : char === '<' ? '&lt;' : '&gt;'));
}

function valueLines(value: PlistValue, indent: string): string[] {
  if (typeof value === 'string') return [`${indent}<string>${plistEscape(value)}</string>`];
  if (typeof value === 'boolean') return [`${indent}<${value ? 'true' : 'false'}/>`];
  if (typeof value === 'number') {
    // launchd's integers (modes, uids) only: a fraction or NaN has no <integer> form.
    if (!Number.isSafeInteger(value)) throw new Error(`A property list integer must be a whole number, not ${String(value)}.`);
    return [`${indent}<integer>${value}</integer>`];
  }
  if (Array.isArray(value)) {
    const items = value as readonly PlistValue[];
    return [`${indent}<array>`, ...items.flatMap((item) => valueLines(item, `${indent}\t`)), `${indent}</array>`];
  }
  const dict = value as PlistDict;
  const keys = new Set<string>();
  const lines = [`${indent}<dict>`];
  for (const [key, item] of dict.entries) {
    if (keys.has(key)) throw new Error(`A property list dictionary holds the key ${JSON.stringify(key)} twice.`);
    keys.add(key);
    lines.push(`${indent}\t<key>${plistEscape(key)}</key>`, ...valueLines(item, `${indent}\t`));
  }
  lines.push(`${indent}</dict>`);
  return lines;
}

/** The whole file: Apple's XML header and doctype, then `root`, tab-indented, ending in a newline. */
export function plistXml(root: PlistDict): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    ...valueLines(root, ''),
    '</plist>',
    '',
  ].join('\n');
}
