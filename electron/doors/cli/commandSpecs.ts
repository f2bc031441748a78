/**
 * Every command the `builder-bar` CLI knows, as data: its options, their values and the words
 * `--help` prints. The parser and the help text both read this table, so the help can never
 * describe an option the parser does not accept, or miss one it does.
 */
import path from 'node:path';
import { confDirLengthProblem } from '../../core/nix/wiringTarget.js';
import { FixedLogSourceSchema, LogSourceSchema, NixpkgsBranchSchema, ProfileNameSchema } from '../../ipc/contract.js';

const logSourceNames = `${FixedLogSourceSchema.options.join(', ')}, build:<id>`;

function checkLogSource(value: string): string | null {
  return LogSourceSchema.safeParse(value).success ? null : `--source must be one of ${logSourceNames} (got ${JSON.stringify(value)}).`;
}

export type OptionSpec =
  | { type: 'boolean'; short?: string; description: string }
  | {
      type: 'string';
      short?: string;
      valueName: string;
      description: string;
      /** The value must be one of these. */
      choices?: readonly string[];
      /** Checks a value no list can hold (e.g. `build:<id>`): null when fine, else why not; `example` passes. */
      accepts?: { check: (value: string) => string | null; example: string };
      /** The value must be a number in this range (an integer when `integer`). */
      number?: { min: number; max: number; integer: boolean };
    };

export interface CommandSpec {
  /** `['settings', 'get']` for `builder-bar settings get`. */
  path: readonly string[];
  /** What follows the command's name in the usage line (options and operands). */
  synopsis: string;
  summary: string;
  /** Paragraphs printed by `--help` after the usage line. */
  details: readonly string[];
  options: Readonly<Record<string, OptionSpec>>;
  operands: { min: number; max: number };
}

const confDirOption: OptionSpec = {
  type: 'string',
  valueName: 'DIR',
  description: 'Wire a directory you own instead of /etc (no spaces in DIR)',
  accepts: { check: (value) => (value === '' ? '--conf-dir needs a directory.' : confDirLengthProblem(path.resolve(value))), example: '/tmp/nix-conf' },
};
const jsonOption: OptionSpec = { type: 'boolean', description: 'Print one JSON document' };

/** What `builder-bar nix` works on, said once for all four of its commands. */
export const NIX_TARGET_WORDS =
  'Without --conf-dir the target is the system Nix configuration (/etc/nix), written on macOS by one admin step. With --conf-dir DIR everything goes into DIR (nix.conf, machines, ssh_config, known_hosts, the key), no substituters are set, and the environment that makes Nix use it is printed: NIX_CONF_DIR=DIR NIX_SSHOPTS="-F DIR/ssh_config". It runs without a core: it reads the state dir.';

const ONE_WRITER =
  'Apply and remove run one at a time per state dir: beside a running core (builder-bar serve, the app) they are carried out by that core; otherwise this command holds the state dir while it writes, and a second one is refused, naming the first.';

/** `builder-bar nix plan|apply|remove|verify`: run without a core (nixCommand.ts), parsed like every command. */
function nixCommandSpecs(): CommandSpec[] {
  return [
    {
      path: ['nix', 'plan'],
      synopsis: '[--conf-dir DIR] [--json]',
      summary: 'Show the exact change wiring Nix to the builder makes, writing nothing',
      details: [
        'Shows the change to every file, and what stands in the way (a builder nix.conf already names, a substituter the builder cannot reach). A file that is a symbolic link (nix-darwin\'s /etc/nix/nix.conf) is never written: plan shows the nix-darwin configuration that does the same wiring instead. A file that is not UTF-8, or a path Nix or ssh would misread (with "#", "${" or whitespace), is a problem too. Exits with 1 when the plan has a problem.',
        NIX_TARGET_WORDS,
      ],
      options: { 'conf-dir': confDirOption, json: jsonOption },
      operands: { min: 0, max: 0 },
    },
    {
      path: ['nix', 'apply'],
      synopsis: '[--conf-dir DIR] [--json]',
      summary: 'Wire Nix to the builder',
      details: [
        'Writes the plan: atomic writes, a backup of every file Builder Bar did not create, refused if a file changed since it was read; applying twice changes nothing. A plan with a problem is refused with exit 2, and nothing is written. On a Mac the system target (/etc) is written by the app\'s admin step (Nix → Apply), not by this command.',
        NIX_TARGET_WORDS,
        ONE_WRITER,
      ],
      options: { 'conf-dir': confDirOption, json: jsonOption },
      operands: { min: 0, max: 0 },
    },
    {
      path: ['nix', 'remove'],
      synopsis: '[--json]',
      summary: 'Take the Nix wiring back, byte for byte',
      details: [
        'Restores every file apply touched byte for byte, with its mode, and deletes what it made; the target is the one recorded at apply.',
        ONE_WRITER,
      ],
      options: { json: jsonOption },
      operands: { min: 0, max: 0 },
    },
    {
      path: ['nix', 'verify'],
      synopsis: '[--conf-dir DIR] [--json]',
      summary: 'Prove with a real build that Nix uses the builder',
      details: [
        'Builds a derivation only the builder may build (--max-jobs 0) and proves the output came from the guest; on failure it says why in words. Without --conf-dir it verifies the target apply recorded.',
        NIX_TARGET_WORDS,
      ],
      options: { 'conf-dir': confDirOption, json: jsonOption },
      operands: { min: 0, max: 0 },
    },
  ];
}

export const commandSpecs: readonly CommandSpec[] = [
  {
    path: ['serve'],
    synopsis: '[--port N] [--profile NAME] [--open] [--stop-on-exit]',
    summary: 'Run the core here, with the browser UI and the CLI socket',
    details: [
      'Runs the Builder Bar core in this terminal: the builder VM supervisor, the headless door (the dashboard, served to a browser from 127.0.0.1 only) and the CLI socket the other commands talk to. It prints one line, "Builder Bar is serving on http://127.0.0.1:PORT/#token=TOKEN"; open that URL. The token changes every run and only that URL carries it; the page drops it from the address bar once read.',
      'Only one core runs per state dir; a second serve on the same state dir exits with a message naming the first one\'s pid.',
      'Ctrl-C or SIGTERM stops the core gracefully. The builder VM keeps running, and the next core for this state dir adopts it; with --stop-on-exit the VM is shut down too.',
    ],
    options: {
      port: { type: 'string', valueName: 'N', description: 'TCP port on 127.0.0.1 for the browser UI (default 0: any free port)', number: { min: 0, max: 65535, integer: true } },
      profile: {
        type: 'string',
        valueName: 'NAME',
        description: `Builder profile for this run, whatever the settings say: ${ProfileNameSchema.options.join(' or ')}`,
        choices: ProfileNameSchema.options,
      },
      open: { type: 'boolean', description: 'Also try to open the dashboard in a browser (best effort), through a 0600 file in the state dir, so the token never shows in the process list' },
      'stop-on-exit': { type: 'boolean', description: 'Shut the builder VM down when the core stops' },
    },
    operands: { min: 0, max: 0 },
  },
  {
    path: ['status'],
    synopsis: '[--json]',
    summary: "Show the builder's state",
    details: [
      "Prints the builder's state (stopped, starting, ready, stopping or error), what it is doing, its ssh port, host key, guest resources and the last error with the console lines that preceded it, then the Nix Builder Bar runs: its version, directory and where it was found, or why none was found; then where QEMU, qemu-img, git and ssh were found (the app\'s PATH, the login shell\'s PATH or a Nix profile directory) and how the login shell answered. Last, a 'Settings:' line for each thing that was wrong with settings.json when the core started (not JSON, a value refused, written by a newer Builder Bar) and what was done about it, such as where the file was moved.",
    ],
    options: { json: { type: 'boolean', description: 'Print the status object as JSON (it has a "state" field)' } },
    operands: { min: 0, max: 0 },
  },
  {
    path: ['start'],
    synopsis: '[--wait] [--timeout S]',
    summary: 'Start the builder',
    details: [
      'Asks the core to start the builder VM. Without --wait it returns once the start has begun.',
      'With --wait it prints a line for each step of the start and returns when the builder is ready (ssh answered with the pinned host key and Nix ran in the guest). If the start fails or times out it prints the error and the last console lines and exits with 1.',
    ],
    options: {
      wait: { type: 'boolean', description: 'Wait until the builder is ready or has failed' },
      timeout: { type: 'string', valueName: 'S', description: 'With --wait: give up after S seconds (at most 3600)', number: { min: 1, max: 3600, integer: false } },
    },
    operands: { min: 0, max: 0 },
  },
  {
    path: ['stop'],
    synopsis: '[--force]',
    summary: 'Stop the builder',
    details: ['Shuts the builder VM down (an ACPI power-off, then QEMU quits). A builder you stopped is never restarted automatically.'],
    options: { force: { type: 'boolean', description: 'Stop QEMU at once instead of shutting the guest down' } },
    operands: { min: 0, max: 0 },
  },
  {
    path: ['proxy'],
    synopsis: '[--uid N]',
    summary: "Carry one ssh connection to the builder, starting it first (ssh's ProxyCommand)",
    details: [
      'Not for typing: the Nix wiring\'s ssh alias runs it as its ProxyCommand when the "on demand" setting is on. It asks the running core to start the builder if it is stopped, waits until it is ready, then carries the bytes between its stdin/stdout and the builder\'s ssh port on 127.0.0.1. While it runs, the builder counts as in use and is not stopped for being idle.',
      'When no core is running it prints how to start Builder Bar on stderr (Nix shows it) and exits with 3; when the builder cannot start, the reason, and exits with 1.',
      'Started as root (the system nix-daemon on a Mac) with --uid, it first becomes that user, the owner of the state dir, so it reaches the core\'s socket as the user and does nothing the user could not.',
    ],
    options: {
      uid: { type: 'string', valueName: 'N', description: 'When run as root: the user id to become first (the state dir\'s owner)', number: { min: 1, max: 4294967294, integer: true } },
    },
    operands: { min: 0, max: 0 },
  },
  {
    path: ['restart'],
    synopsis: '',
    summary: 'Stop the builder and start it again',
    details: ['Stops the builder VM and starts it again, for example after a settings change that needs a restart.'],
    options: {},
    operands: { min: 0, max: 0 },
  },
  {
    path: ['logs'],
    synopsis: '[--source SOURCE] [--lines N] [--follow]',
    summary: 'Print the logs',
    details: [
      `Prints the last lines of the logs, all sources interleaved unless --source picks one: ${logSourceNames} (vm-console is the guest's serial console; nix-wiring what nix plan/apply/remove/verify did; build:<id> one build's Nix messages and derivation logs, the id as \`builder-bar build --json\` prints it).`,
      'With --follow it keeps printing new lines until Ctrl-C.',
    ],
    options: {
      source: { type: 'string', valueName: 'SOURCE', description: `Only this source: ${logSourceNames}`, accepts: { check: checkLogSource, example: 'build:build-m1x2-1-3f' } },
      lines: { type: 'string', short: 'n', valueName: 'N', description: 'How many lines to print first (default 50)', number: { min: 1, max: 100_000, integer: true } },
      follow: { type: 'boolean', short: 'f', description: 'Keep printing new lines as they arrive' },
    },
    operands: { min: 0, max: 0 },
  },
  {
    path: ['settings', 'get'],
    synopsis: '[--json] [KEY]',
    summary: 'Print the settings, or one of them',
    details: [
      'Prints every setting as KEY = VALUE, or only KEY (dotted for nested settings, e.g. restartPolicy.enabled).',
    ],
    options: { json: { type: 'boolean', description: 'Print JSON' } },
    operands: { min: 0, max: 1 },
  },
  {
    path: ['settings', 'set'],
    synopsis: 'KEY=VALUE ...',
    summary: 'Change settings',
    details: [
      'Changes one or more settings at once, e.g. "builder-bar settings set cpus=2 memoryMiB=2048 restartPolicy.enabled=false". A value is read as JSON when it is valid JSON (numbers, true, false) and as text otherwise; nothing after "=" clears a setting (KEY=).',
      'nixBinDir=/path/to/bin makes Builder Bar run the Nix in that directory (nix, nix-build, nix-store); it is refused unless that Nix answers "nix --version". nixBinDir= finds Nix by itself again: BUILDER_BAR_NIX_BIN_DIR, then PATH, then what the login shell\'s PATH adds (on a Mac), then Nix\'s profile directories.',
      'openAtLogin=true makes the Mac app open when you log in (a macOS login item, which the app registers or removes when it runs; off by default); startOnLaunch=true starts the builder whenever the core starts (the app or serve).',
      'builderNixpkgs.rev=REV builderNixpkgs.narHash=sha256-…= pins the nixpkgs the Mac builder (darwin-linux-builder) comes from, both halves together as a flake.lock records them; the image is realised once, at the next start.',
      'An invalid value is refused with the reason and nothing is changed (exit 2). A change the running builder only picks up after a restart, or that needs a new disk, says so.',
    ],
    options: {},
    operands: { min: 1, max: 100 },
  },
  {
    path: ['start-app'],
    synopsis: '',
    summary: 'Start the app (what npm start runs)',
    details: [
      "Launches the Electron menu-bar app when Electron's runtime is installed. Where it is not (its download is blocked on some machines, and it cannot run without a display), it says why and runs the headless door instead, like \"serve --profile linux-test --open\".",
    ],
    options: {},
    operands: { min: 0, max: 0 },
  },
  {
    path: ['help'],
    synopsis: '[COMMAND]',
    summary: 'Show help for the CLI or a command',
    details: ['Prints the help for COMMAND (e.g. "builder-bar help settings set"), or for the whole CLI.'],
    options: {},
    operands: { min: 0, max: 2 },
  },
  ...nixCommandSpecs(),
  {
    path: ['build'],
    synopsis: 'FILE.nix|INSTALLABLE [--attr A] [--json]',
    summary: 'Build through Builder Bar and watch the queue',
    details: [
      'Runs nix-build FILE [-A A] (for a .nix file or a directory) or nix build INSTALLABLE through the core, with the Nix wiring Builder Bar applied, and prints each derivation as it waits, builds (and on which machine), copies and ends. A path (ending in .nix, or starting with /, ./ or ../, without #) is a file: one that is not there is refused at once, before the builder is started. If the builder is stopped or still booting, the build waits until it is ready. Ctrl-C cancels the build.',
      'With --json it prints only the summary at the end: the build\'s state, each derivation\'s drvPath, state and machine, and the output paths. Exits with 1 when the build failed or was cancelled.',
    ],
    options: {
      attr: { type: 'string', valueName: 'A', description: 'The attribute to build (nix-build -A A, or INSTALLABLE#A)' },
      json: { type: 'boolean', description: 'Print the summary as JSON' },
    },
    operands: { min: 1, max: 1 },
  },
  {
    path: ['builds'],
    synopsis: '[--json] [--follow]',
    summary: 'List running and recent builds, wherever they were started',
    details: [
      'Lists the builds the core knows, running ones first: each with its id, its source (builder-bar: started through Builder Bar; external: started by any other Nix process on this machine, a terminal nix-build, darwin-rebuild or direnv), its state and progress, the machine it built on (local, or the builder\'s URI) and what it built.',
      'External builds need Nix 2.30 or later: builder-bar nix apply then sets json-log-path in nix.conf to the core\'s log socket (on a Mac, the system wiring: to a socket launchd makes and relays to it), and nix-daemon sends every client\'s build events there (after it was restarted). With an older Nix the last line says why only Builder Bar\'s own builds show. Builds others run on the builder VM show as well, from its process list.',
      'With --json it prints one object: builds (each with source, machine and, for the first 20, each derivation\'s log lines the core still holds), seenOnBuilder and externalFeed (what the queue sees of other builds, and how many malformed log records it skipped). With --follow it then prints each change as it comes (with --json one JSON object per line), until Ctrl-C.',
    ],
    options: {
      json: { type: 'boolean', description: 'Print the list as JSON' },
      follow: { type: 'boolean', description: 'Keep printing changes until Ctrl-C' },
    },
    operands: { min: 0, max: 0 },
  },
  {
    path: ['builders', 'list'],
    synopsis: '[--json]',
    summary: 'List remote builders and their health',
    details: ['Remote builders are Linux machines beside the VM; Nix spreads builds across all of them. Each line shows the last health check: ssh with the pinned host key, then nix-store --version. Exits with 1 when any builder failed its last check.'],
    options: { json: { type: 'boolean', description: 'Print the list as JSON' } },
    operands: { min: 0, max: 0 },
  },
  {
    path: ['builders', 'add'],
    synopsis: 'NAME --host H --user U --key F --host-key K [...]',
    summary: 'Add a remote builder and check it',
    details: [
      'NAME becomes the ssh alias builder-bar-NAME (lower-case letters, digits and dashes). The host key is pinned: get it out of band, e.g. with ssh-keyscan -t ed25519 -p PORT HOST, and check its fingerprint. The builder is checked at once; the exit code is 0 only if the check passed.',
    ],
    options: {
      host: { type: 'string', valueName: 'HOST', description: 'Host name or IPv4 address' },
      user: { type: 'string', valueName: 'USER', description: 'ssh user on the builder (a trusted Nix user there)' },
      key: { type: 'string', valueName: 'PATH', description: 'Absolute path of the private key ssh uses' },
      'host-key': { type: 'string', valueName: 'KEY', description: 'The builder\'s host public key line, "ssh-ed25519 AAAA…"' },
      port: { type: 'string', valueName: 'N', description: 'ssh port (default 22)', number: { min: 1, max: 65535, integer: true } },
      systems: { type: 'string', valueName: 'LIST', description: 'Comma-separated Nix systems (default x86_64-linux)' },
      'max-jobs': { type: 'string', valueName: 'N', description: 'Builds at once on it (default 1)', number: { min: 1, max: 256, integer: true } },
      'speed-factor': { type: 'string', valueName: 'N', description: 'Relative speed Nix uses to prefer it (default 1)', number: { min: 1, max: 100, integer: true } },
      features: { type: 'string', valueName: 'LIST', description: 'Comma-separated supported features, e.g. big-parallel,kvm' },
      protocol: { type: 'string', valueName: 'PROTO', description: 'ssh-ng (default) or ssh', choices: ['ssh-ng', 'ssh'] },
    },
    operands: { min: 1, max: 1 },
  },
  {
    path: ['builders', 'remove'],
    synopsis: 'NAME',
    summary: 'Remove a remote builder',
    details: ['Forgets the builder and its health; Nix stops using it once the wiring is applied again.'],
    options: {},
    operands: { min: 1, max: 1 },
  },
  {
    path: ['builders', 'check'],
    synopsis: '[NAME] [--json]',
    summary: 'Check remote builders now',
    details: ['Checks one builder, or all of them, now and prints the result. Exits with 1 when any check failed.'],
    options: { json: { type: 'boolean', description: 'Print the list as JSON' } },
    operands: { min: 0, max: 1 },
  },
  {
    path: ['image', 'update'],
    synopsis: '[--branch B] [--yes]',
    summary: 'Move the Mac builder\'s image to where a nixpkgs branch is now',
    details: [
      'For the darwin-linux-builder profile, whose image is nixpkgs\' darwin.linux-builder from one pinned revision (settings: builderNixpkgs). Asks Nix where the branch is now (a locked revision and its narHash) and prints what moving there would fetch and build. Nothing of the builder is fetched without --yes; with it, the image is realised and only then is the new pin saved, so a failed update changes nothing. The builder uses the new image from its next start.',
    ],
    options: {
      branch: {
        type: 'string',
        valueName: 'B',
        description: 'The nixpkgs branch (default nixpkgs-unstable, which nixpkgs\' CI gates on macOS and Linux builds)',
        accepts: { check: (value) => (NixpkgsBranchSchema.safeParse(value).success ? null : `--branch must be a nixpkgs branch such as nixos-25.05 (got ${JSON.stringify(value)}).`), example: 'nixos-25.05' },
      },
      yes: { type: 'boolean', description: 'Fetch and realise it (without: only say what it would fetch)' },
    },
    operands: { min: 0, max: 0 },
  },
  {
    path: ['image', 'own-host-key'],
    synopsis: '',
    summary: 'Give the Mac builder its own host key: build, switch, re-pin',
    details: [
      'For the darwin-linux-builder profile. nixpkgs\' builder presents the host key nixpkgs publishes, whose private half anyone can read; Builder Bar pins it and flags it weak. This builds the image once more with a host key made for this install (handed in through QEMU\'s fw_cfg at each start, never in the Nix store). Its Linux part is built on the running builder itself, through the Nix wiring: start the builder and apply the wiring first. Then, once no build runs on it, the builder is restarted into the new image, and the wiring is applied again so Nix pins the new key: at once for a config directory; for /etc the command says to apply it again (it needs an administrator). Progress shows in builder-bar status.',
    ],
    options: {},
    operands: { min: 0, max: 0 },
  },
  {
    path: ['image', 'disks'],
    synopsis: '[--json]',
    summary: 'List disks nixpkgs\' builder left on this Mac before Builder Bar',
    details: [
      'Looks where nixpkgs\' builder leaves its disk: ~/nixos.qcow2 (from `nix run nixpkgs#darwin.linux-builder` run in your home) and nix-darwin\'s nix.linux-builder disk, /var/lib/linux-builder/nixos.qcow2 (/var/lib/darwin-builder/nixos.qcow2 before nix-darwin 25.05). Such a disk holds everything that builder built or fetched. Builder Bar never changes or deletes it; `builder-bar image import-disk PATH` copies it in as the builder\'s own disk.',
    ],
    options: { json: { type: 'boolean', description: 'Print the list as JSON' } },
    operands: { min: 0, max: 0 },
  },
  {
    path: ['image', 'import-disk'],
    synopsis: 'PATH',
    summary: 'Copy a disk nixpkgs\' builder left in as the Mac builder\'s own',
    details: [
      'For the darwin-linux-builder profile, while the builder is stopped and before it has a disk of its own: copies PATH (one of the disks `builder-bar image disks` lists) to the builder\'s disk in the state dir, as a clone where the filesystem can (APFS), so the store it holds is not built or fetched again. The original is only read, never changed or deleted. A disk a running QEMU holds is refused: stop that builder first.',
    ],
    options: {},
    operands: { min: 1, max: 1 },
  },
  {
    path: ['diagnostics'],
    synopsis: '[--out DIR]',
    summary: 'Write a diagnostics bundle to attach to a bug report',
    details: [
      'Writes builder-bar-diagnostics-<UTC time>.tar.gz into the log dir (or DIR) and prints its path. It holds the log files of every source (rotated ones too), the settings with secrets removed, the status, the versions of Builder Bar, Node, Nix, QEMU and the OS, the Nix wiring Builder Bar manages (never the client key) and the build history. Private key blocks and the headless door\'s token are removed from every file.',
    ],
    options: { out: { type: 'string', valueName: 'DIR', description: 'Write the bundle into DIR instead of the log dir' } },
    operands: { min: 0, max: 0 },
  },
  {
    path: ['baselines'],
    synopsis: 'REPO [--interval S] [--now EPOCH] [--json] [...]',
    summary: "Show which full build each branch's incremental build reuses",
    details: [
      'For every local branch of the git work tree REPO (and a detached HEAD), the baseline commit an incremental build reuses: T is the clock (or the tip\'s committer time), B = floor(T / interval) * interval, and the baseline is the first commit git rev-list --before=B -1 BRANCH names (committer date, B included, all parents), or a root commit when none is that old. It prints B in UTC and local time, the baseline\'s short id, subject and committer date, the commits and files changed since it, the next rollover with a countdown, the branches that share its full build, and warnings: root-commit fallback, a baseline off the first-parent line, a shallow clone.',
      'It runs without a core: it only reads the repository. With --json it prints an array with, per branch, branch, tip, baseline (the sha), baselineSubject, baselineCommitTime, baselineAuthorTime, boundary, nextRollover, rootFallback, offFirstParent, commitsSince, filesChanged, sharedWith (the other branches with the same baseline, at most 100 named), sharedCount (how many there are in all) and warnings. A path that is not a git work tree exits with 2.',
    ],
    options: {
      interval: { type: 'string', valueName: 'S', description: 'Boundary interval in seconds (default 86400: UTC midnight; 604800 is a week, boundaries on Thursdays)', number: { min: 60, max: 366 * 86_400, integer: true } },
      now: { type: 'string', valueName: 'EPOCH', description: 'Use this time (seconds since 1970) as the clock instead of now', number: { min: 0, max: 100_000_000_000, integer: true } },
      'time-source': { type: 'string', valueName: 'SOURCE', description: "T is wall-clock (default) or tip-commit (each tip's committer time)", choices: ['wall-clock', 'tip-commit'] },
      branches: { type: 'string', valueName: 'PATTERN', description: 'Only branches matching this git for-each-ref pattern under refs/heads, e.g. "release/*"' },
      json: { type: 'boolean', description: 'Print the branches as a JSON array' },
    },
    operands: { min: 1, max: 1 },
  },
];

/** The global option every command accepts, before or after the command name. */
export const stateDirOption: OptionSpec = {
  type: 'string',
  valueName: 'DIR',
  description:
    'Use this state dir (default: $BUILDER_BAR_HOME, else ~/Library/Application Support/Builder Bar on macOS and $XDG_STATE_HOME/builder-bar, usually ~/.local/state/builder-bar, on Linux). It must be new, empty, or a Builder Bar state dir already: Builder Bar makes it private (0700)',
};

export function findCommand(words: readonly string[]): CommandSpec | null {
  return commandSpecs.find((spec) => spec.path.length === words.length && spec.path.every((word, i) => word === words[i])) ?? null;
}
