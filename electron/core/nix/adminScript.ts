/**
 * The text of the admin step: one POSIX sh script that root runs once, after the user approves
 * it. Every path in it is one of the target's layout files or its backup (checked by the writer
 * before the text is built), and every byte root installs is checked against a SHA-256 written
 * into the text itself, so nothing the user's processes can change while the prompt is open
 * (the state dir, the staged copies) can make root write anything else:
 *
 * 1. every file must still hold what Builder Bar read, or nothing is changed (exit 3);
 * 2. each new file is copied from the staging dir into a private directory of root's
 *    (`mktemp -d`, 0700) and must match its SHA-256; each backup to restore must hold the
 *    original; any difference and nothing is changed (exit 4);
 * 3. the original of each file Builder Bar edits is copied into the root-only backup directory;
 * 4. each file is installed from root's copy (temp file, chmod, rename); the log relay's
 *    LaunchDaemon (launchdLogSocket.ts) first, started at once, so its socket exists before
 *    nix.conf names it; if launchd refuses it, it is taken out again and no Nix file changes
 *    (exit 5);
 * 5. nix-daemon is restarted only when nix.conf changed;
 * 6. a log relay being removed is stopped only now, once the daemon no longer names its socket
 *    (a daemon still naming a missing path would make root create a file there).
 *
 * `root` is a prefix for the layout and backup paths, empty for the real thing. Tests set it to
 * a directory they own and run the same text through sh; the paths checked and written into
 * the script stay the real layout's.
 */
import { randomBytes } from 'node:crypto';
import { SYSTEM_BACKUP_DIR } from './wiringBounds.js';
import type { WiringOperation } from './wiringFileWriter.js';
import { sha256 } from './wiringRecord.js';

export interface AdminScriptInput {
  operations: readonly WiringOperation[];
  /** For each `write` operation (by index), the staged copy of its content. */
  staged: ReadonlyMap<number, string>;
  /** The target's nix.conf: the daemon is restarted only when it changes. */
  nixConf: string;
  /** The command that restarts the daemon (argument array). */
  restartDaemon: readonly string[];
  /** '' for the real system; tests give a directory they own. */
  root: string;
  /** What the step does, for the script's first comment. */
  title: string;
  /** The system log socket's job, when the target has one (its commands name only this user's job). */
  logRelay?: AdminLogRelay | null;
}

/** The log relay as the admin step handles it: its file (a layout file), root's commands, its socket. */
export interface AdminLogRelay {
  jobFile: string;
  /** Run after the job file is installed; must succeed. */
  start: readonly string[];
  /** Run before a changed job starts again, and on remove; may fail (the job is not loaded). */
  stop: readonly string[];
  /** Taken away after remove when launchd left it behind (only if it is a socket). */
  socketPath: string;
}

/** Single quotes for sh: everything inside is literal. */
export function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A layout or backup path, under the test prefix when there is one. */
function onHost(file: string): string {
  return `"$ROOT"${shQuote(file)}`;
}

function octalMode(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

export function adminScript(input: AdminScriptInput): string {
  const { operations } = input;
  const changesNixConf = operations.some((op) => op.file === input.nixConf && (op.kind === 'write' || op.kind === 'restore' || op.kind === 'remove'));
  const backsUp = operations.some((op) => op.kind === 'backup');
  const touchesBackups = operations.some((op) => op.kind === 'restore' || op.kind === 'dropBackup');
  const token = randomBytes(4).toString('hex');
  const relay = input.logRelay ?? null;
  const relayWrite = relay ? operations.findIndex((op) => op.kind === 'write' && op.file === relay.jobFile) : -1;
  const relayRemoved = relay !== null && operations.some((op) => op.kind === 'remove' && op.file === relay.jobFile);

  const expectations = new Map<string, string | null>();
  for (const op of operations) if (op.kind !== 'dropBackup' && !expectations.has(op.file)) expectations.set(op.file, op.expectSha256);

  const lines = [
    '#!/bin/sh',
    `# Builder Bar: ${input.title}. Runs as root, once, after you approve it.`,
    '# 1. Every file must still hold exactly what Builder Bar read, or nothing is changed (exit 3).',
    '# 2. Each new file is copied into a private directory only root can write and must match the',
    '#    SHA-256 written below; each backup to restore must hold the original. Any difference and',
    '#    nothing is changed (exit 4).',
    `# 3. The original of each file Builder Bar edits is kept in ${SYSTEM_BACKUP_DIR} (root only).`,
    '# 4. Each file is installed with its mode.',
    `# 5. nix-daemon is restarted ${changesNixConf ? 'because nix.conf changes' : 'not at all: nix.conf does not change'}.`,
    ...(relayWrite >= 0 ? ["#    The log relay's LaunchDaemon is installed and started first, so its socket exists before nix.conf names it (exit 5 if launchd refuses it)."] : []),
    ...(relayRemoved ? ['# 6. The log relay is stopped once nix-daemon no longer names its socket.'] : []),
    'set -eu',
    'umask 022',
    '# Empty: the paths below are the real ones. (Builder Bar\'s tests set a directory they own.)',
    `ROOT=${shQuote(input.root)}`,
    `BACKUPS=${onHost(SYSTEM_BACKUP_DIR)}`,
    'digest() { if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1"; else shasum -a 256 "$1"; fi | cut -d" " -f1; }',
    'fail() { echo "builder-bar: $2" >&2; exit "$1"; }',
    'expect() { # FILE SHA256|absent',
    '  if [ -L "$1" ]; then fail 3 "$1 is a symbolic link (nix-darwin\'s?); Builder Bar never writes through one; nothing was changed."; fi',
    '  if [ "$2" = absent ]; then',
    '    if [ ! -e "$1" ]; then return 0; fi',
    '  elif [ -f "$1" ] && [ "$(digest "$1")" = "$2" ]; then return 0; fi',
    '  fail 3 "$1 changed since Builder Bar read it; nothing was changed."',
    '}',
    'take() { # N STAGED SHA256 FILE: root\'s own copy of a staged file, checked',
    '  if [ -f "$2" ] && [ ! -L "$2" ] && cp "$2" "$PRIVATE/$1" && [ "$(digest "$PRIVATE/$1")" = "$3" ]; then return 0; fi',
    '  fail 4 "the new content of $4 changed after you were asked (its staged copy $2 is not what Builder Bar prepared); nothing was changed."',
    '}',
    'original() { # BACKUP SHA256 FILE',
    '  if [ -f "$1" ] && [ ! -L "$1" ] && [ "$(digest "$1")" = "$2" ]; then return 0; fi',
    '  fail 4 "the backup $1 of $3 is missing or is not the original; nothing was changed."',
    '}',
    'private_dir() { # DIR MODE: a directory only root can change',
    '  if [ -L "$1" ]; then fail 4 "$1 is a symbolic link; nothing was changed."; fi',
    '  mkdir -p "$1"',
    '  if [ "$(id -u)" = 0 ]; then chown 0:0 "$1"; fi',
    '  chmod "$2" "$1"',
    '}',
    'save() { # FILE BACKUP SHA256',
    `  (umask 077; cp "$1" "$2.builder-bar-${token}")`,
    `  if [ "$(digest "$2.builder-bar-${token}")" != "$3" ]; then rm -f "$2.builder-bar-${token}"; fail 3 "$1 changed since Builder Bar read it; nothing was changed."; fi`,
    `  mv -f "$2.builder-bar-${token}" "$2"`,
    '}',
    'put() { # SOURCE FILE MODE',
    // Created 0600 (umask 077 for the copy), so a key is never readable by others, even briefly.
    `  mkdir -p "$(dirname "$2")"; (umask 077; cp "$1" "$2.builder-bar-${token}"); chmod "$3" "$2.builder-bar-${token}"; mv -f "$2.builder-bar-${token}" "$2"`,
    '}',
    ...(relay
      ? [
          // A bootstrap right after a bootout can fail while launchd is still taking the old job
          // down: three tries, a second apart.
          `relay_start() { tries=0; until ${relay.start.map(shQuote).join(' ')}; do tries=$((tries + 1)); if [ "$tries" -ge 3 ]; then return 1; fi; sleep 1; done; }`,
          `relay_stop() { ${relay.stop.map(shQuote).join(' ')} >/dev/null 2>&1 || true; }`,
        ]
      : []),
    '',
    '# 1. Nothing changed since Builder Bar read it.',
    ...[...expectations].map(([file, sha]) => `expect ${onHost(file)} ${sha ?? 'absent'}`),
    '',
    '# 2. Root\'s own copies, checked; the originals to restore, checked.',
    'PRIVATE=$(mktemp -d /tmp/builder-bar-admin.XXXXXXXX)',
    'trap \'rm -rf "$PRIVATE"\' EXIT',
  ];
  operations.forEach((op, index) => {
    if (op.kind === 'write') lines.push(`take ${index} ${shQuote(input.staged.get(index) ?? '')} ${sha256(op.content)} ${onHost(op.file)}`);
    if (op.kind === 'restore') lines.push(`original ${onHost(op.backupPath)} ${op.backupSha256} ${onHost(op.file)}`);
  });
  if (backsUp) {
    lines.push('', '# 3. The originals, kept where only root can change them.');
    lines.push(`private_dir ${onHost(SYSTEM_BACKUP_DIR.replace(/\/[^/]+$/, ''))} 755`, 'private_dir "$BACKUPS" 700');
    for (const op of operations) if (op.kind === 'backup') lines.push(`save ${onHost(op.file)} ${onHost(op.backupPath)} ${op.expectSha256}`);
  }
  lines.push('', '# 4. Install.');
  if (relay && relayWrite >= 0) {
    const job = onHost(relay.jobFile);
    const op = operations[relayWrite] as Extract<WiringOperation, { kind: 'write' }>;
    lines.push(
      "# The log relay's LaunchDaemon first: launchd makes its socket before nix.conf names it.",
      `if [ -f ${job} ]; then cp ${job} "$PRIVATE/relay-before"; fi`,
      `put "$PRIVATE/${relayWrite}" ${job} ${octalMode(op.mode)}`,
      'relay_stop',
      'if ! relay_start; then',
      `  rm -f ${job}`,
      `  if [ -f "$PRIVATE/relay-before" ]; then put "$PRIVATE/relay-before" ${job} ${octalMode(op.mode)}; relay_start || true; fi`,
      `  fail 5 "launchd did not start the log relay's job (${relay.jobFile}); no Nix file was changed."`,
      'fi',
    );
  }
  operations.forEach((op, index) => {
    if (index === relayWrite) return;
    if (op.kind === 'write') lines.push(`put "$PRIVATE/${index}" ${onHost(op.file)} ${octalMode(op.mode)}`);
    if (op.kind === 'restore') lines.push(`put ${onHost(op.backupPath)} ${onHost(op.file)} ${octalMode(op.mode)}`, `rm -f ${onHost(op.backupPath)}`);
    if (op.kind === 'dropBackup') lines.push(`rm -f ${onHost(op.backupPath)}`);
    if (op.kind === 'remove') lines.push(`rm -f ${onHost(op.file)}`);
  });
  if (touchesBackups) lines.push('rmdir "$BACKUPS" 2>/dev/null || true');
  if (changesNixConf) lines.push('', '# 5. nix.conf changed.', input.restartDaemon.map(shQuote).join(' '));
  if (relay && relayRemoved) {
    const socket = onHost(relay.socketPath);
    lines.push('', '# 6. The log relay, now that nix-daemon no longer names its socket.', 'relay_stop', `if [ -S ${socket} ]; then rm -f ${socket}; fi`);
  }
  lines.push('echo "builder-bar: done"', '');
  return lines.join('\n');
}
