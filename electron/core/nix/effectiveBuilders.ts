/**
 * The user's effective `builders`, computed as Nix 2.8 and 2.34 compute it (read in their
 * sources: `applyConfig`/`parseConfigFiles`, `Config::set`, `expandBuilderLines`), so the
 * wiring can restate exactly what the user had and add our machines file after it:
 *
 * - nix.conf lines are read in order and an `include PATH` / `!include PATH` is read where it
 *   stands, PATH relative to the including file's directory. A missing `include` makes Nix
 *   refuse to start ("file ... included from ... not found"); a missing `!include` is skipped.
 *   An included file that exists but cannot be read is skipped silently by both versions;
 *   when it is this user who may not read it, it is a problem here (root's daemon may read it,
 *   and it may set builders).
 * - The last `builders = ...` line read wins, wherever it is. `extra-builders` does not append:
 *   `builders` is a plain string setting, so both versions warn "unknown setting
 *   'extra-builders'" and ignore the line.
 * - Unset, `builders` is `@<conf dir>/machines` (both versions).
 * - The value is a list of entries separated by newlines and `;`; an entry `@FILE` stands for
 *   FILE's lines (which may hold `;` and further `@FILE`s; a missing FILE is skipped). Nix 2.34
 *   trims each entry; Nix 2.8 does not (its `trim(line)` drops its result), so an entry after
 *   `; ` keeps its leading space there and ` @FILE` is taken for a store URI. Entries joined by a
 *   bare `;` read the same on both: that is how builders() restates them.
 *
 * Only the wiring's own nix.conf is followed: the user's `~/.config/nix/nix.conf` and
 * `NIX_CONFIG` come after it for a client, but not for root's nix-daemon, which is what a
 * system wiring configures. The pure part works on files already read; readConfFiles() reads
 * them.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { boundedNotes, clipped, count, NAMED_AT_MOST } from './boundedList.js';
import { bomMalformedHint, bomSettingNote, startsWithBom } from './byteOrderMark.js';
import { parseNixConf } from './nixConfLines.js';
import { notUtf8, notUtf8Message, type NotUtf8 } from './utf8Text.js';

/**
 * A file as read: its text, missing, or unreadable: it exists but cannot be read, because this
 * user may not (`denied`: root's nix-daemon may well read it) or because it is no file (a
 * directory: Nix skips it too).
 */
export type ConfFileContent =
  | { kind: 'text'; text: string }
  | { kind: 'missing' }
  | { kind: 'unreadable'; denied: boolean }
  /** Bytes that are not UTF-8 (utf8Text.ts): read lossily, its builders could not be restated unchanged. */
  | { kind: 'notUtf8'; where: NotUtf8 };

const MISSING: ConfFileContent = { kind: 'missing' };

export interface BuildersProblem {
  path: string;
  /** 1-based line in `path`. */
  lineNumber: number | null;
  message: string;
}

export interface EffectiveBuilders {
  /** The value Nix ends up with (its words joined by single spaces, as Nix re-joins them). */
  value: string;
  /** Where the winning `builders` line is; null when no line sets it and Nix's default applies. */
  setAt: { path: string; lineNumber: number } | null;
  /** The entries in order, as Nix 2.34 splits the value: on newlines and `;`, trimmed, blanks dropped. */
  entries: string[];
  /** Every nix.conf file Nix reads for this, in reading order (the main file first). */
  files: string[];
  /** Lines that make Nix refuse the configuration (a missing `include`, a malformed line, a loop). */
  problems: BuildersProblem[];
  /** Lines Nix reads but ignores, said so the user is not surprised (`extra-builders`). */
  notes: string[];
  /**
   * The last value of every setting read on the way, includes followed: what Nix ends up with
   * for the other lines of our block, which must not override a user's own (`json-log-path`).
   */
  settings: ReadonlyMap<string, string>;
}

/** The entries of a `builders` value, in order: Nix 2.34's split (which is also 2.8's on `;`-joined entries). */
export function builderEntries(value: string): string[] {
  return value
    .split('\n')
    .map((line) => line.replace(/#.*$/, ''))
    .flatMap((line) => line.split(';'))
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/** The machines file an `@FILE` entry names (Nix trims the path), or null for a machine entry. */
export function machinesFileOf(entry: string): string | null {
  const trimmed = entry.trim();
  return trimmed.startsWith('@') ? trimmed.slice(1).trim() : null;
}

/**
 * The `builders` value that keeps every entry of `user` (verbatim, in order) and adds our
 * machines file last, once: entries joined by a bare `;`, the one form Nix 2.8 reads too.
 */
export function buildersWithOurs(user: readonly string[], machinesPath: string): string {
  const theirs = user.filter((entry) => machinesFileOf(entry) !== machinesPath);
  return [...theirs, `@${machinesPath}`].join(';');
}

/**
 * The effective `builders` of `mainFile` (whose text may be given without our block), following
 * includes through `files` (absolute path -> content; readConfFiles() fills it).
 */
export function effectiveBuilders(
  mainFile: string,
  files: ReadonlyMap<string, ConfFileContent>,
  defaultBuilders: string,
): EffectiveBuilders {
  let value: string | null = null;
  let setAt: EffectiveBuilders['setAt'] = null;
  const read: string[] = [];
  const problems: BuildersProblem[] = [];
  const notes: string[] = [];
  const settings = new Map<string, string>();
  /** Every `extra-builders` line: said once per line for the first few, then counted (boundedList.ts). */
  const extraBuilders: { file: string; lineNumber: number }[] = [];

  const visit = (file: string, stack: readonly string[]): void => {
    const content = files.get(file) ?? MISSING;
    if (content.kind === 'unreadable' && content.denied && file !== mainFile) {
      // Nix skips a file it cannot read, but the Nix that matters (root's daemon) may read this
      // one: it might set builders that our line would silently override.
      problems.push({
        path: file,
        lineNumber: null,
        message: `${file} (included from ${stack[stack.length - 2] ?? mainFile}) exists but this user may not read it, so Builder Bar cannot tell whether it sets builders that must be kept. Make it readable (it holds no secret Nix needs hidden), or move any builders line into a file Builder Bar can read; then plan again.`,
      });
      return;
    }
    if (content.kind === 'notUtf8') {
      problems.push({ path: file, lineNumber: content.where.lineNumber, message: notUtf8Message(file, content.where, false) });
      return;
    }
    if (content.kind !== 'text') return;
    read.push(file);
    const bom = startsWithBom(content.text);
    let malformed = 0;
    for (const line of parseNixConf(content.text)) {
      if (line.kind === 'setting') settings.set(line.key, line.value);
      if (bom && line.lineNumber === 1 && line.kind === 'setting') notes.push(bomSettingNote(file, line.key, line.value));
      if (line.kind === 'malformed' && ++malformed > NAMED_AT_MOST) {
        // Counted below: a file of thousands of broken lines gives a few problems, not thousands.
      } else if (line.kind === 'malformed') {
        problems.push({
          path: file,
          lineNumber: line.lineNumber,
          message: `${file} line ${line.lineNumber} is not "key = value", a comment or an include: ${JSON.stringify(clipped(line.text))}. Nix cannot read this file either; fix it, then plan again. Builder Bar leaves it untouched.${bom && line.lineNumber === 1 ? ` ${bomMalformedHint(file)}` : ''}`,
        });
      } else if (line.kind === 'setting' && line.key === 'builders') {
        value = line.value;
        setAt = { path: file, lineNumber: line.lineNumber };
      } else if (line.kind === 'setting' && line.key === 'extra-builders') {
        extraBuilders.push({ file, lineNumber: line.lineNumber });
      } else if (line.kind === 'include') {
        const included = includedPath(file, line.path);
        const target = files.get(included) ?? MISSING;
        if (stack.includes(included)) {
          problems.push({
            path: file,
            lineNumber: line.lineNumber,
            message: `${file} line ${line.lineNumber} includes ${included}, which includes ${file} again: Nix would read them forever. Remove one of the includes, then plan again.`,
          });
        } else if (target.kind === 'missing') {
          if (!line.optional) {
            problems.push({
              path: file,
              lineNumber: line.lineNumber,
              message: `${file} line ${line.lineNumber} includes ${included}, which does not exist: Nix refuses to start ("file '${included}' included from '${file}' not found"). Create that file, remove the line, or write "!include" to make it optional; then plan again. Builder Bar leaves ${file} untouched.`,
            });
          }
        } else {
          visit(included, [...stack, included]);
        }
      }
    }
    if (malformed > NAMED_AT_MOST) {
      problems.push({ path: file, lineNumber: null, message: `${file} has ${count(malformed - NAMED_AT_MOST)} more lines Nix cannot read (not "key = value", a comment or an include); fix them too, then plan again.` });
    }
  };
  visit(mainFile, [mainFile]);
  notes.push(
    ...boundedNotes(
      extraBuilders,
      ({ file, lineNumber }) => `Note: ${file} line ${lineNumber} sets extra-builders, which Nix ignores ("unknown setting 'extra-builders'": builders cannot be appended to); those machines are not used. Put them in a builders line instead.`,
      (more) => `Note: ${count(more)} more extra-builders lines, ignored by Nix the same way.`,
    ),
  );

  const effective: string = value ?? defaultBuilders;
  return { value: effective, setAt, entries: builderEntries(effective), files: read, problems, notes, settings };
}

/** Nix's `absPath(path, dirOf(includingFile))`: relative to the including file's directory, no symlinks resolved. */
export function includedPath(includingFile: string, includePath: string): string {
  return path.resolve(path.dirname(includingFile), includePath);
}

/**
 * Reads `mainFile` and every file it includes, transitively, into the map effectiveBuilders()
 * takes. `given` stands in for files as they would be: the main file's text (without our block),
 * or texts by path (Determinate's nix.custom.conf without, or with, our block while the
 * nix.conf that includes it is read from disk).
 */
export async function readConfFiles(mainFile: string, given?: string | ReadonlyMap<string, string>): Promise<Map<string, ConfFileContent>> {
  const givenTexts = typeof given === 'string' ? new Map([[mainFile, given]]) : (given ?? new Map<string, string>());
  const files = new Map<string, ConfFileContent>();
  const pending = [mainFile];
  while (pending.length > 0) {
    const file = pending.shift()!;
    if (files.has(file)) continue;
    const text = givenTexts.get(file);
    const content: ConfFileContent = text !== undefined ? { kind: 'text', text } : await readConf(file);
    files.set(file, content);
    if (content.kind !== 'text') continue;
    for (const line of parseNixConf(content.text)) {
      if (line.kind === 'include') pending.push(includedPath(file, line.path));
    }
  }
  return files;
}

async function readConf(file: string): Promise<ConfFileContent> {
  try {
    const bytes = await fs.readFile(file);
    const bad = notUtf8(bytes);
    return bad ? { kind: 'notUtf8', where: bad } : { kind: 'text', text: bytes.toString('utf8') };
  } catch (error) {
    // Nix's pathExists() is a stat: a dangling link or a missing file is "missing"; anything
    // that exists but fails to read (a directory, no permission) Nix skips without a word.
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? MISSING : { kind: 'unreadable', denied: code === 'EACCES' || code === 'EPERM' };
  }
}

/** A `builders` line Nix reads after the wiring's nix.conf, which replaces our line for that Nix. */
export interface LaterBuilders {
  /** The file, or `NIX_CONFIG`. */
  where: string;
  lineNumber: number;
  value: string;
}

/**
 * The files a client Nix reads after nix.conf, in reading order (Nix's getUserConfigFiles,
 * applied last to first): NIX_USER_CONF_FILES when set, else `nix/nix.conf` in each of
 * XDG_CONFIG_DIRS (default /etc/xdg) and then XDG_CONFIG_HOME (default ~/.config), which wins.
 */
export function userConfFiles(env: NodeJS.ProcessEnv): string[] {
  if (env.NIX_USER_CONF_FILES !== undefined) return env.NIX_USER_CONF_FILES.split(':').filter((file) => file !== '').reverse();
  const home = env.XDG_CONFIG_HOME || path.join(env.HOME ?? '/', '.config');
  const dirs = [home, ...(env.XDG_CONFIG_DIRS ?? '/etc/xdg').split(':').filter((dir) => dir !== '')];
  return dirs.map((dir) => path.join(dir, 'nix', 'nix.conf')).reverse();
}

/**
 * `builders` lines a client Nix of this environment reads after nix.conf (the user's config
 * files, then NIX_CONFIG): each replaces the wiring's line for Nix commands run there (and for
 * the daemon's builds when the user is trusted), so plan names them. Unreadable or broken files
 * are Nix's business here: they are skipped.
 */
export async function laterBuilders(env: NodeJS.ProcessEnv): Promise<LaterBuilders[]> {
  const found: LaterBuilders[] = [];
  for (const file of userConfFiles(env)) {
    const result = effectiveBuilders(file, await readConfFiles(file), '');
    if (result.setAt) found.push({ where: result.setAt.path, lineNumber: result.setAt.lineNumber, value: result.value });
  }
  if (env.NIX_CONFIG !== undefined) {
    const result = effectiveBuilders('NIX_CONFIG', new Map([['NIX_CONFIG', { kind: 'text', text: env.NIX_CONFIG }]]), '');
    if (result.setAt) found.push({ where: 'NIX_CONFIG', lineNumber: result.setAt.lineNumber, value: result.value });
  }
  return found;
}
