/**
 * What a full-build command needs of the Nix that runs it: the one place where prebuilds and the
 * incremental helper meet Nix versions. Found by running both forms (nix-build, and the flake
 * with `--override-input`) on Nix 2.8 and 2.34.8; incrementalHelper.integration.test.ts and
 * baselineService.integration.test.ts run on every version and pin each line below.
 *
 * Differs by version, so checked here before anything is queued:
 * - A `{repoUrl}` that needed percent-encoding is read by Nix >= 2.19 only (flakeUrlSupport.ts,
 *   nixFeatures.ts `flake-url-percent-decoding`).
 *
 * The same on both, so nothing to check (the tests still run it on each):
 * - The build queue reads a `nix build`'s output paths from `--json` (buildRunner.ts), which
 *   Nix 2.8 has; `--print-out-paths` would need 2.9 (rl-2.9: 2.8 stops at "unrecognised flag").
 * - `--override-input` implies `--no-write-lock-file` (src/libcmd/installables.cc in both): Nix
 *   warns "not writing modified lock file of flake …" and leaves flake.lock, committed or
 *   absent, as it was. Neither refuses a dirty tree: both warn "Git tree … is dirty" and use the
 *   work tree as it is. A `nix build` without an override, though, wrote flake.lock into the
 *   checkout and ran `git add` on it in both, so expandFullBuildCommand adds
 *   `--no-write-lock-file` to every `nix build`.
 * - Flakes and the `nix` command are experimental in both (2.34 without the flag: "experimental
 *   Nix feature 'nix-command' is disabled"): the flake template and the build queue pass
 *   `--extra-experimental-features 'nix-command flakes'`. Nix 2.34 reads nix.conf before that
 *   flag, so a conf with `flake-registry` makes it warn "Ignoring setting 'flake-registry'
 *   because experimental feature 'flakes' is not enabled"; harmless.
 * - A baseline reachable only from a branch other than HEAD is found by its sha alone, in the
 *   flake override (`?rev=`) and in fetchGit (`allRefs`).
 * - GC roots: `nix-store --realise P --add-root R --indirect` registers R in both, without a
 *   warning (gcRoots.ts).
 */
import type { NixAtHand } from '../nix/nixFeatures.js';
import { assertRepoUrlReadable } from './flakeUrlSupport.js';

/**
 * Rejects (`nix-too-old`) a full-build command the Nix in use cannot run for `repo`, saying what
 * to do. The Nix is asked for only when the command needs a check; null (none found) lets the
 * build go ahead, and the build queue then says that Nix is missing.
 */
export async function assertFullBuildRunnable(fullBuild: readonly string[], repo: string, hostNix: () => Promise<NixAtHand | null>): Promise<void> {
  await assertRepoUrlReadable(fullBuild, repo, hostNix);
}
