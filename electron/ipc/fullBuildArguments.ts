/**
 * What a tracked repository's full-build command may say. The command is settings data that a
 * door (the dashboard, the CLI, a leaked token) can set, and the core runs it as the user; an
 * open argument array would let `--option allow-unsafe-native-code-during-evaluation true
 * -E 'builtins.exec …'` run any program. So only what a full build needs is allowed:
 *
 * - the program `nix-build`, or `nix` with the `build` subcommand;
 * - `-A`/`--attr NAME`, `--argstr NAME VALUE`, `--override-input INPUT REF`, `--no-link`,
 *   `--no-out-link`, `--no-write-lock-file`, `--extra-experimental-features FEATURES` (names
 *   from a short list). `expandFullBuildCommand` adds `--no-write-lock-file` to every `nix build`
 *   itself, so the check after expansion must allow it;
 * - `--arg NAME EXPR`. EXPR is Nix code, but no more than the file or installable the command
 *   builds, which is arbitrary Nix code already: refusing it would not narrow what gets
 *   evaluated. Evaluation cannot start a program while `allow-unsafe-native-code-during-evaluation`
 *   is off (`builtins.exec` and `importNative` do not exist then), and only `--option` or the
 *   user's own nix.conf can turn it on; derivations build in Nix's sandbox as build users or on
 *   the builder VM, never as the user. A placeholder inside EXPR is refused, though: a branch
 *   named `x${…}` would become code there (`--argstr` passes values as strings);
 * - the file or installable: any argument not starting with `-`.
 *
 * Refused with a message naming the argument: `--option`, `-E`/`--expr`, `--store`, `-I`,
 * `-o`/`--out-link`, `--impure` and anything unknown (short-option bundles such as `-Afull`,
 * which Nix reads as `-A -f -u -l -l`, too). Option values are separate arguments, as Nix wants
 * them (Nix 2.8 rejects `--attr=full` itself); a `--name=value` form is refused with that hint.
 *
 * The same walk checks the command as stored (`FullBuildCommandSchema`, so every door refuses)
 * and after its placeholders are replaced (`expandFullBuildCommand`, since settings on disk may
 * be forged), where an argument that became an option (a branch named `--option`) is refused.
 * Browser-safe: the renderer checks the form with it.
 */

/** The features a full build may enable: the flake CLI and evaluation-only ones. */
export const ALLOWED_EXPERIMENTAL_FEATURES: readonly string[] = ['nix-command', 'flakes', 'ca-derivations', 'fetch-tree', 'no-url-literals', 'parse-toml-timestamps', 'pipe-operators'];

interface OptionRule {
  /** How many arguments follow it as its values. */
  values: number;
  /** Index (into its values) of one that is Nix code, where a placeholder must not go. */
  codeValue?: number;
  /** Index of a value that is a feature list. */
  featuresValue?: number;
}

const ALLOWED: Readonly<Record<string, OptionRule>> = {
  '-A': { values: 1 },
  '--attr': { values: 1 },
  '--arg': { values: 2, codeValue: 1 },
  '--argstr': { values: 2 },
  '--override-input': { values: 2 },
  '--no-link': { values: 0 },
  '--no-out-link': { values: 0 },
  '--no-write-lock-file': { values: 0 },
  '--extra-experimental-features': { values: 1, featuresValue: 0 },
};

/** Why the well-known dangerous ones are refused, so the message says more than "unknown". */
const REFUSED: Readonly<Record<string, string>> = {
  '--option': 'it changes any Nix setting (allow-unsafe-native-code-during-evaluation, builders, substituters…)',
  '-E': 'it evaluates an expression given on the command line',
  '--expr': 'it evaluates an expression given on the command line',
  '--store': 'it points the build at another store',
  '-I': 'it changes the Nix search path',
  '--include': 'it changes the Nix search path',
  '-o': 'it writes a result symlink wherever the command says',
  '--out-link': 'it writes a result symlink wherever the command says',
  '--impure': 'it lifts pure evaluation (environment variables, files outside the flake)',
};

export const ALLOWED_FULL_BUILD_WORDS =
  'allowed: -A/--attr NAME, --arg NAME EXPR, --argstr NAME VALUE, --override-input INPUT REF, --no-link, --no-out-link, --no-write-lock-file, --extra-experimental-features FEATURES, and the file or installable';

const PLACEHOLDER = /\{(rev|repoUrl|repo|branch)\}/;

export interface FullBuildProblem {
  /** Index into the argument array (the renderer shows it as a line number). */
  index: number;
  message: string;
}

/** The program's own words: `nix-build`, or `nix build` (one argument each). */
function programLength(argv: readonly string[]): number | null {
  if (argv[0] === 'nix-build') return 1;
  if (argv[0] === 'nix' && argv[1] === 'build') return 2;
  return null;
}

function optionProblem(arg: string): string | null {
  const equals = arg.indexOf('=');
  const name = equals > 0 ? arg.slice(0, equals) : arg;
  const refused = REFUSED[name];
  if (refused !== undefined) return `"${name}" is not allowed in a full-build command: ${refused} (${ALLOWED_FULL_BUILD_WORDS})`;
  if (equals > 0 && ALLOWED[name] !== undefined) {
    return `"${arg}": give the value of ${name} as its own argument (its own line), as Nix expects`;
  }
  if (ALLOWED[name] !== undefined) return null;
  return `"${arg}" is not an argument a full-build command may use (${ALLOWED_FULL_BUILD_WORDS}; the file or installable must not start with "-")`;
}

function featuresProblem(value: string): string | null {
  const features = value.split(/\s+/).filter((word) => word !== '');
  const unknown = features.filter((feature) => !ALLOWED_EXPERIMENTAL_FEATURES.includes(feature));
  if (features.length > 0 && unknown.length === 0) return null;
  return `--extra-experimental-features ${JSON.stringify(value)}: only ${ALLOWED_EXPERIMENTAL_FEATURES.join(', ')} may be enabled`;
}

/**
 * Every problem of a full-build command, at most one per argument; the same walk for the stored
 * command and the expanded one (there an argument starting with `-` is an option, whatever it
 * came from). The program check is the caller's (the schema words it for the form).
 */
export function fullBuildProblems(argv: readonly string[]): FullBuildProblem[] {
  const start = programLength(argv);
  if (start === null) return [];
  const problems: FullBuildProblem[] = [];
  let index = start;
  while (index < argv.length) {
    const arg = argv[index]!;
    if (!arg.startsWith('-')) {
      index += 1;
      continue;
    }
    const problem = optionProblem(arg);
    if (problem !== null) {
      problems.push({ index, message: problem });
      index += 1;
      continue;
    }
    const rule = ALLOWED[arg]!;
    if (index + rule.values >= argv.length) {
      problems.push({ index, message: `${arg} needs ${rule.values === 1 ? 'a value' : `${rule.values} values`} after it, each its own argument` });
      break;
    }
    for (let offset = 0; offset < rule.values; offset += 1) {
      const valueIndex = index + 1 + offset;
      const value = argv[valueIndex]!;
      if (offset === rule.codeValue && PLACEHOLDER.test(value)) {
        problems.push({ index: valueIndex, message: `${arg} takes a Nix expression, where a placeholder such as {branch} would become code; pass it with --argstr NAME VALUE instead` });
      }
      if (offset === rule.featuresValue) {
        const featureProblem = PLACEHOLDER.test(value) ? `--extra-experimental-features takes no placeholder` : featuresProblem(value);
        if (featureProblem !== null) problems.push({ index: valueIndex, message: featureProblem });
      }
    }
    index += 1 + rule.values;
  }
  return problems;
}
