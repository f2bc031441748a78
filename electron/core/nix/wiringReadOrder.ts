/**
 * Which `builders` line Nix ends up with depends on the order it reads files, and the file the
 * wiring edits is not always the first one Nix reads. Determinate Nix owns /etc/nix/nix.conf and
 * pulls the user's /etc/nix/nix.custom.conf in with `!include nix.custom.conf`, so the system
 * target's block sits in an included file: any `builders` line in nix.conf before that include
 * is the user's value to restate, and one after it replaces ours for every Nix on the machine,
 * root's daemon included. So the user's builders are computed from the file Nix starts at, with
 * the edited file standing in as planned, and the plan checks that the line Nix ends up with is
 * the one in our block; when it is not, nothing the wiring writes would be used, and the plan
 * refuses, naming the line that wins.
 *
 * Lines a client reads after all of /etc/nix (the user's config files, NIX_CONFIG) are only
 * noted: root's daemon, which a system wiring configures, never reads them (effectiveBuilders.ts).
 */
import path from 'node:path';
import { BLOCK_BEGIN } from './markedBlock.js';
import { boundedNotes, clipped, count } from './boundedList.js';
import { effectiveBuilders, laterBuilders, readConfFiles, type EffectiveBuilders } from './effectiveBuilders.js';
import type { WiringProblem } from './planWiring.js';
import type { TargetLayout, WiringTarget } from './wiringTarget.js';

/** Determinate's own nix.conf: Nix starts there and reaches nix.custom.conf through its include. */
export const DETERMINATE_MAIN_CONF = '/etc/nix/nix.conf';

/** The nix.conf Nix starts reading from for this target (the edited file, except under Determinate). */
export function confReadStart(target: WiringTarget, layout: TargetLayout): string {
  return target.kind === 'system' && target.determinate ? DETERMINATE_MAIN_CONF : layout.nixConf;
}

/** The user's effective builders: from `start`, with `edited` read as `editedOutside` (the file without our block). */
export async function usersBuilders(start: string, edited: string, editedOutside: string, defaultBuilders: string): Promise<EffectiveBuilders> {
  return effectiveBuilders(start, await readConfFiles(start, new Map([[edited, editedOutside]])), defaultBuilders);
}

/**
 * Null when Nix, starting at `start`, would end up with the `builders` line of our block in
 * `edited` (as `editedAfter`, the planned text); else the problem that says which line wins
 * instead, or that `edited` is never read at all.
 */
export async function oursOverridden(start: string, edited: string, editedAfter: string, defaultBuilders: string): Promise<WiringProblem | null> {
  const result = effectiveBuilders(start, await readConfFiles(start, new Map([[edited, editedAfter]])), defaultBuilders);
  // Whatever Nix refuses there was reported when the user's builders were read.
  if (result.problems.length > 0) return null;
  const blockStart = editedAfter.split('\n').lastIndexOf(BLOCK_BEGIN) + 1;
  const { setAt } = result;
  if (setAt && setAt.path === edited && blockStart > 0 && setAt.lineNumber > blockStart) return null;
  const managed = start === DETERMINATE_MAIN_CONF ? ` Determinate Nix manages ${start} and may write it again when it updates: keep your own settings in ${edited}.` : '';
  if (!result.files.includes(edited)) {
    return {
      path: start,
      lineNumber: null,
      message: `Nix reads ${start} and never ${edited}, where Builder Bar's lines would go, so Nix would not use the builder. Add the line "!include ${path.relative(path.dirname(start), edited)}" to ${start}, after any builders line there, then plan again.${managed}`,
    };
  }
  if (!setAt) return null;
  return {
    path: setAt.path,
    lineNumber: setAt.lineNumber,
    message: `${setAt.path} line ${setAt.lineNumber} sets builders = ${clipped(result.value)}, and Nix reads it after Builder Bar's line in ${edited}: that line wins, for root's nix-daemon too, so Nix would never use the builder. Move that builders line into ${edited} (Builder Bar then keeps its entries and adds its own after them) or delete it; then plan again.${managed}`,
  };
}

/**
 * One note per `builders` line a client Nix of `env` reads after the wiring's nix.conf (the
 * first few named, the rest counted), each saying what to change.
 */
export async function laterBuildersNotes(env: NodeJS.ProcessEnv, layout: TargetLayout): Promise<string[]> {
  return boundedNotes(
    await laterBuilders(env),
    (later) =>
      `Note: ${later.where} line ${later.lineNumber} sets builders = ${clipped(later.value)}; Nix reads it after ${layout.nixConf}, so the Nix commands of this environment use those builders instead of the wiring's. Add ";@${layout.machines}" to that line, or remove it.`,
    (more) => `Note: ${count(more)} more user config files set builders the same way (NIX_USER_CONF_FILES lists them); each replaces the wiring's builders for the Nix commands of this environment.`,
  );
}
