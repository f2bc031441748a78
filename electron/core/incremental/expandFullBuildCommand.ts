/**
 * Turns a tracked repository's full-build command into the argv the build queue runs: each
 * `{rev}`, `{repo}`, `{repoUrl}` and `{branch}` inside an argument is replaced by its value
 * (`{repoUrl}` is the work tree as a flake URL, `git+file://` and the path percent-encoded, so a
 * path with a space, `#` or `?` survives inside `{repoUrl}?rev={rev}`), in one pass, so
 * a value is never expanded again (a branch named `x{rev}` stays `x{rev}`), an argument is never
 * split or joined, and no shell ever sees the result: branch names with `$`, `;`, quotes or
 * `$&` arrive literally.
 *
 * The command is checked twice against the allowed arguments (`ipc/fullBuildArguments.ts`: no
 * `--option`, `--expr`, `--store`…): as stored, since settings on disk may be forged past the
 * doors, and once expanded. A value that starts with `-` is refused outright (git accepts a
 * branch named `--option` through `update-ref`), so a placeholder can never put an option, or
 * anything Nix would read as one, into the command.
 *
 * A `nix build` command always gets `--no-write-lock-file` at its end: a prebuild must never
 * change the user's checkout. `--override-input` implies it, but a command without one, on a
 * flake whose lock file is missing or stale, made Nix write `flake.lock` into the work tree and
 * `git add` it (Nix 2.8 and 2.34 alike), and on a locked reference (`{repoUrl}?rev={rev}#full`)
 * made it fail ("cannot write modified lock file"). With the flag Nix only warns "not writing
 * modified lock file", which is what a prebuild wants (fullBuildNixSupport.ts).
 *
 * Any other `{…}` is left as it is, on purpose: Nix arguments legitimately contain braces
 * (`--arg config '{ }'`), so rejecting unknown names would refuse valid commands; a misspelt
 * placeholder shows up verbatim in the build's own error instead.
 */
import { FullBuildCommandSchema } from '../../ipc/baselinesContract.js';
import { fullBuildProblems } from '../../ipc/fullBuildArguments.js';
import { BuilderBarError } from '../errors.js';

export interface FullBuildValues {
  /** The baseline commit's full sha. */
  rev: string;
  /** Absolute path of the git work tree. */
  repo: string;
  /** The branch name as git has it (data, never code). */
  branch: string;
}

const PLACEHOLDER = /\{(rev|repoUrl|repo|branch)\}/g;

/**
 * `git+file://` and the path with each segment percent-encoded: Nix decodes `%xx` in a URL's
 * path (checked with Nix 2.8 on `a b#c?d`), while a raw `#` or `?` would end the path.
 */
export function gitFileUrl(repo: string): string {
  return `git+file://${repo.split('/').map(encodeURIComponent).join('/')}`;
}
const NO_WRITE_LOCK_FILE = '--no-write-lock-file';
const FULL_SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

export function expandFullBuildCommand(argv: readonly string[], values: FullBuildValues): string[] {
  const command = FullBuildCommandSchema.safeParse([...argv]);
  if (!command.success) {
    throw new BuilderBarError(
      'invalid-settings',
      `The full-build command is not valid: ${command.error.issues.map((issue) => issue.message).join('; ')}.`,
      "Change the repository's full-build command (Settings… in the Baselines panel): nix-build or nix build, with only the arguments a full build needs.",
    );
  }
  if (!FULL_SHA.test(values.rev)) {
    throw new BuilderBarError('invalid-settings', `{rev} must be a full commit sha, got ${JSON.stringify(values.rev)}.`);
  }
  if (!values.repo.startsWith('/') || values.repo.includes('\0')) {
    throw new BuilderBarError('invalid-settings', `{repo} must be an absolute path, got ${JSON.stringify(values.repo)}.`);
  }
  if (values.branch.length === 0 || values.branch.includes('\0')) {
    throw new BuilderBarError('invalid-settings', `{branch} must be a branch name, got ${JSON.stringify(values.branch)}.`);
  }
  // A replacer function, not a replacement string: `$&`, `$1`… in a value stay literal.
  const replacements: Record<string, string> = { ...values, repoUrl: gitFileUrl(values.repo) };
  const expanded = command.data.map((arg) =>
    arg.replace(PLACEHOLDER, (_match, name: string) => {
      const value = replacements[name]!;
      if (value.startsWith('-')) {
        throw new BuilderBarError(
          'invalid-settings',
          `{${name}} is ${JSON.stringify(value)}, which starts with "-": Nix could read it as an option, so it is never put into a full-build command.`,
          name === 'branch' ? 'Rename the branch (git branch -m -- OLD NEW), or prebuild another branch.' : null,
        );
      }
      return value;
    }),
  );
  // Always appended, even if the command has it: a `--no-write-lock-file` found inside it may be
  // the value of another option (`--argstr x --no-write-lock-file`), and Nix takes it twice.
  if (expanded[0] === 'nix' && expanded[1] === 'build') expanded.push(NO_WRITE_LOCK_FILE);
  // Again after expansion: the stored command passed the schema above, but this is what runs.
  const problems = fullBuildProblems(expanded);
  if (problems.length > 0) {
    throw new BuilderBarError(
      'invalid-settings',
      `The full-build command is not valid once expanded: ${problems.map((problem) => problem.message).join('; ')}.`,
      "Change the repository's full-build command in the Baselines panel.",
    );
  }
  return expanded;
}
