/**
 * Builder Bar's wiring as nix-darwin configuration, for a Mac where nix-darwin manages the files
 * (`/etc/nix/nix.conf` a link to `/etc/static/nix/nix.conf`): Builder Bar never writes there, so
 * the plan shows this instead, for the user to paste and `darwin-rebuild switch`.
 *
 * Option names are nix-darwin's own: `nix.distributedBuilds`, `nix.buildMachines` (hostName,
 * protocol, sshUser, sshKey, systems, maxJobs, speedFactor, supportedFeatures, publicHostKey)
 * and `nix.settings` from modules/nix/default.nix; the ssh alias through `environment.etc`, as
 * its own modules/nix/linux-builder.nix writes `ssh/ssh_config.d/100-linux-builder.conf`; the
 * pinned host keys through `programs.ssh.knownHosts` (modules/programs/ssh.nix), which writes
 * /etc/ssh/ssh_known_hosts for plain `ssh <alias>` (Nix itself passes `publicHostKey` to ssh).
 * Every value comes from the same BuilderEndpoint the machines line is made of, escaped as a
 * Nix string, so the snippet is a Nix expression that evaluates to exactly these values.
 */
import { hostKeyBase64, keyPathOf, keyWithoutComment, sshAliasLines, type BuilderEndpoint } from './builderEndpoint.js';
import { shellQuote, type TargetLayout } from './wiringTarget.js';

/** Where the system target's ssh alias lives, relative to /etc (nix-darwin's `environment.etc` key). */
export const SSH_ALIAS_ETC_NAME = 'ssh/ssh_config.d/100-builder-bar.conf';

/** A double-quoted Nix string holding `value` literally. */
export function nixString(value: string): string {
  const escaped = value.replace(/[\\"\n\r\t]|\$\{/g, (match) => {
    switch (match) {
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      case '${':
        return '\\${';
      default:
        return `\\${match}`;
    }
  });
  return `"${escaped}"`;
}

/**
 * An indented Nix string (`'' ... ''`) whose value is `lines`, each ending in a newline, written
 * at `indent`. Only `''` and `${` mean something inside one; escaping every `'` and `$` (as
 * `${"'"}` and `''$`) keeps any line literal, whatever precedes or follows it.
 */
export function nixIndentedString(lines: string[], indent: string): string {
  const body = lines.map((line) => {
    if (/[\r\n]/.test(line)) throw new Error(`A line of an indented Nix string cannot hold a line break: ${JSON.stringify(line)}`);
    const escaped = line.replace(/[$']/g, (match) => (match === '$' ? "''$" : '${"\'"}'));
    return `${indent}  ${escaped}`;
  });
  return ["''", ...body, `${indent}''`].join('\n');
}

function nixList(values: string[]): string {
  return values.length === 0 ? '[ ]' : `[ ${values.map(nixString).join(' ')} ]`;
}

function nixInt(value: number, what: string): string {
  if (!Number.isInteger(value)) throw new Error(`${what} must be a whole number for nix-darwin, not ${value}.`);
  return String(value);
}

export interface NixDarwinConfigInput {
  /** The VM first, then each remote builder: every one Builder Bar would write into the machines file. */
  builders: BuilderEndpoint[];
  /** The target's layout: where the install's client key must live. */
  layout: TargetLayout;
  /** The install's client key in the state dir, for the line that copies it into place; null when unknown. */
  clientKeySource: string | null;
  /**
   * Determinate Nix: its nix-darwin module forces `nix.enable = false`, and nix-darwin then
   * ignores every `nix.*` option (modules/nix/default.nix, handleUnmanaged): the builders go
   * into the module's own `determinateNix.*` options instead (DeterminateSystems/determinate,
   * modules/nix-darwin/default.nix), which write /etc/nix/machines and nix.custom.conf.
   */
  determinate?: boolean;
}

function buildMachine(builder: BuilderEndpoint, clientKey: string): string[] {
  return [
    '    {',
    `      hostName = ${nixString(builder.alias)};`,
    `      protocol = ${nixString(builder.protocol ?? 'ssh')};`,
    `      sshUser = ${nixString(builder.user)};`,
    `      sshKey = ${nixString(keyPathOf(builder, clientKey))};`,
    `      systems = ${nixList(builder.systems)};`,
    `      maxJobs = ${nixInt(builder.maxJobs, 'maxJobs')};`,
    `      speedFactor = ${nixInt(builder.speedFactor, 'speedFactor')};`,
    `      supportedFeatures = ${nixList(builder.supportedFeatures)};`,
    `      publicHostKey = ${nixString(hostKeyBase64(builder))};`,
    '    }',
  ];
}

function knownHost(builder: BuilderEndpoint): string[] {
  return [
    `    ${nixString(builder.alias)} = {`,
    `      hostNames = ${nixList([builder.alias])};`,
    `      publicKey = ${nixString(keyWithoutComment(builder.hostPublicKey))};`,
    '    };',
  ];
}

/** The snippet: a Nix attribute set (nix-darwin module) with comments saying where it goes and what stays outside it. */
export function nixDarwinConfig(input: NixDarwinConfigInput): string {
  const { builders, layout } = input;
  const clientKey = layout.clientKey;
  const options = input.determinate ? 'determinateNix' : 'nix';
  const aliasLines = builders.flatMap((builder) => sshAliasLines(builder, clientKey, null));
  const copyKey = [
    ...(layout.needsAdmin ? ['sudo'] : []),
    'install -m 0600',
    ...(layout.needsAdmin ? ['-o root -g wheel'] : []),
    shellQuote(input.clientKeySource ?? '<state dir>/keys/client_ed25519'),
    shellQuote(clientKey),
  ].join(' ');
  return [
    "# Builder Bar's wiring as nix-darwin configuration. Add it to your nix-darwin configuration,",
    '# then run `darwin-rebuild switch`: nix-darwin writes nix.conf, /etc/nix/machines and the ssh',
    '# alias itself. If Builder Bar wired /etc before, run Remove (`builder-bar nix remove`) first:',
    '# a plain file where nix-darwin puts a link makes darwin-rebuild stop ("Unexpected files in /etc").',
    ...(input.determinate
      ? [
        "# Determinate Nix: its nix-darwin module turns nix-darwin's nix.* options off, so these are",
        '# its own (older versions of the module call them determinate-nix.* and customSettings settings).',
      ]
      : []),
    '{',
    `  ${options}.distributedBuilds = true;`,
    `  ${options}.buildMachines = [`,
    ...builders.flatMap((builder) => buildMachine(builder, clientKey)),
    '  ];',
    `  ${input.determinate ? 'determinateNix.customSettings' : 'nix.settings'}.builders-use-substitutes = true;`,
    '',
    '  # The ssh alias carries the port, which a machines line cannot; root\'s ssh (the daemon\'s) reads it.',
    `  environment.etc.${nixString(SSH_ALIAS_ETC_NAME)}.text = ${nixIndentedString(aliasLines, '  ')};`,
    '',
    '  # The pinned host keys, for plain `ssh <alias>` (HostKeyAlias looks them up under the alias).',
    '  programs.ssh.knownHosts = {',
    ...builders.flatMap(knownHost),
    '  };',
    '}',
    `# The key Nix logs in with stays a plain file outside the Nix store (everyone can read the store):`,
    `# ${clientKey}, mode 0600${layout.needsAdmin ? ', owned by root' : ''}. Copy this install's key there:`,
    `#   ${copyKey}`,
    '',
  ].join('\n');
}
