/**
 * The exact new content (and a diff) of every file the wiring touches, computed before anything
 * is written. Each file's bytes and mode as the plan read them are kept, so apply can refuse a
 * file that changed in between. Files we did not create are edited only inside our marked
 * block; a malformed nix.conf is reported with its line number and nothing is planned for it.
 *
 * The user's builders: the block restates their effective `builders` (effectiveBuilders.ts:
 * their last `builders` line, wherever includes put it, or Nix's default) entry by entry,
 * verbatim and in order, and appends our machines file once: `builders = <theirs>;@<ours>`.
 * Nix lets the later line win, so the user's entries stay in force without a byte of their
 * files being edited, and remove only has to drop our block. The entries are joined by a bare
 * `;` because Nix 2.8 does not trim an entry: after `; ` it would take ` @<ours>` for a store
 * URI. (Moving their entries into our machines file would mean owning their builders.) A
 * configuration Nix itself refuses (a malformed line, a missing `include`) is reported and
 * nothing is planned for nix.conf. A `builders` line a client reads later (the user's
 * ~/.config/nix/nix.conf, NIX_CONFIG) would replace ours: the summary names it.
 * Determinate's nix.conf, read before ours, and stale copies of our entry are checked in
 * wiringReadOrder.ts and staleOwnEntries.ts.
 *
 * The system target's nix.conf is read by root's nix-daemon: with a Nix that has json-log-path,
 * the block names the log relay's root-owned socket (jsonLogPathWiring.ts), and the plan adds
 * the relay's LaunchDaemon (launchdLogSocket.ts) as one more file, Builder Bar's through and
 * through like the key: one already there that is not Builder Bar's is a problem, never replaced.
 *
 * A wiring file that is a symbolic link (nix-darwin's `/etc/nix/nix.conf`) is never planned:
 * the plan says why (wiringLinks.ts), plans no file at all, and carries the nix-darwin
 * configuration that does the same wiring declaratively (nixDarwinConfig.ts).
 */
import { promises as fs } from 'node:fs';
import type { BuilderEndpoint } from './builderEndpoint.js';
import { keyPathOf, knownHostsLine, machinesLine, machinesPathProblem, sshAliasLines, sshConfigPathProblem } from './builderEndpoint.js';
import { splitMarkedBlock, unpairedMarkerMessage, withMarkedBlock } from './markedBlock.js';
import { builderEntries, buildersWithOurs } from './effectiveBuilders.js';
import { jsonLogPathLines, pointsAt, systemLogRelay, type JsonLogPathWish, type SystemLogRelay } from './jsonLogPathWiring.js';
import { nixDarwinConfig } from './nixDarwinConfig.js';
import { rootRunProblems } from './proxyCommandLine.js';
import { unifiedDiff } from './unifiedDiff.js';
import { notUtf8, notUtf8Message, type NotUtf8 } from './utf8Text.js';
import { staleOwnEntries } from './staleOwnEntries.js';
import { sha256, type WiringRecord } from './wiringRecord.js';
import { linkProblemMessage, linksAmong } from './wiringLinks.js';
import { confReadStart, laterBuildersNotes, oursOverridden, usersBuilders } from './wiringReadOrder.js';
import { confDirProblem, describeTarget, environmentLines, targetLayout, type TargetLayout, type WiringTarget } from './wiringTarget.js';

export type WiringFileRole = 'nix.conf' | 'machines' | 'ssh_config' | 'known_hosts' | 'client-key' | 'log-relay-job';

export interface FileSnapshot {
  exists: boolean;
  sha256: string | null;
  mode: number | null;
}

export interface PlannedFile {
  path: string;
  role: WiringFileRole;
  before: FileSnapshot;
  after: string;
  /** The mode apply sets: an edited file keeps its own, a file we create gets ours. */
  mode: number;
  change: 'create' | 'update' | 'none';
  /** True when the file is ours (we created it, now or in an earlier apply): remove deletes it. */
  createdByUs: boolean;
  /** The private key's content is never shown; its diff says so instead. */
  secret: boolean;
  diff: string;
}

export interface WiringProblem {
  path: string;
  message: string;
  /** 1-based line in `path`, for a malformed nix.conf. */
  lineNumber: number | null;
}

export interface WiringPlan {
  target: WiringTarget;
  layout: TargetLayout;
  files: PlannedFile[];
  /** Any problem means apply refuses the plan and touches nothing. */
  problems: WiringProblem[];
  /** `export NIX_CONF_DIR=...` lines for a conf-dir target. */
  environment: string[];
  /** True when apply would write something. */
  changes: boolean;
  summary: string;
  /**
   * Set when a wiring file is a symbolic link (nix-darwin manages it): the nix-darwin
   * configuration that does the same wiring, to paste instead. Null otherwise.
   */
  nixDarwinConfig: string | null;
}

export interface PlanInput {
  target: WiringTarget;
  builder: BuilderEndpoint;
  /** Remote builders the user added; Nix spreads builds across them and the VM by itself. */
  remotes?: BuilderEndpoint[];
  /** The install's client private key (OpenSSH), copied for Nix's ssh. */
  clientPrivateKey: string;
  /** The current record, so files we created earlier stay ours. */
  record: WiringRecord | null;
  /** Where the install's client key lives in the state dir, for the nix-darwin form's copy line. */
  clientKeySource?: string | null;
  /** The environment whose user config files and NIX_CONFIG a client Nix reads after nix.conf; default: this process's. */
  env?: NodeJS.ProcessEnv;
  /** The core's log socket for `json-log-path` and the Nix version in use (jsonLogPathWiring.ts). */
  jsonLogPath?: JsonLogPathWish | null;
  /**
   * The system target only: the log relay root's nix-daemon writes through (default: the
   * launchd job for this process's user, `systemLogRelay`).
   */
  logRelay?: SystemLogRelay | null;
  /**
   * What Nix detection found that makes the wiring meaningless (wiringSession.ts passes Nix
   * not printing the configuration of this target): each is a problem of the plan, so apply
   * refuses it. Detection's notes (blocking false) stay notes.
   */
  nixProblems?: readonly { message: string; fix: string }[];
}

interface CurrentFile {
  text: string | null;
  snapshot: FileSnapshot;
  /** It exists but this user may not read it (the system target's key: root's, 0600). */
  unreadable?: true;
  /** Its bytes are not UTF-8: where the first bad byte is (the file is never planned). */
  notUtf8?: NotUtf8;
}

async function readCurrent(file: string): Promise<CurrentFile> {
  const bytes = await fs.readFile(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    if (error.code === 'EACCES' || error.code === 'EPERM') return 'unreadable' as const;
    throw error;
  });
  if (bytes === 'unreadable') return { text: null, snapshot: { exists: true, sha256: null, mode: null }, unreadable: true };
  if (bytes === null) return { text: null, snapshot: { exists: false, sha256: null, mode: null } };
  const stat = await fs.stat(file);
  const snapshot = { exists: true, sha256: sha256(bytes), mode: stat.mode & 0o7777 };
  const bad = notUtf8(bytes);
  if (bad) return { text: null, snapshot, notUtf8: bad };
  return { text: bytes.toString('utf8'), snapshot };
}

/**
 * `builders` for our block: the entries of the user's value (`existing`, or Nix's default when
 * unset), verbatim and in order, then our machines file once, joined by a bare `;`.
 */
export function buildersValue(existing: string | null, defaultBuilders: string, machinesPath: string): string {
  return buildersWithOurs(builderEntries(existing ?? defaultBuilders), machinesPath);
}

export async function planWiring(input: PlanInput): Promise<WiringPlan> {
  const { target, builder } = input;
  const everyBuilder = [builder, ...(input.remotes ?? [])];
  const layout = targetLayout(target);
  const problems: WiringProblem[] = [];
  if (target.kind === 'confDir') {
    const problem = confDirProblem(target.dir) ?? (await confDirKindProblem(target.dir));
    if (problem) {
      // Every file would carry the broken path; plan nothing.
      problems.push({ path: target.dir, message: problem, lineNumber: null });
      return { target, layout, files: [], problems, environment: [], changes: false, summary: `Nothing can be applied: ${problem}`, nixDarwinConfig: null };
    }
  }
  let badKey = false;
  for (const endpoint of everyBuilder) {
    // The key's path goes into the machines line (cut at "#") and the ssh alias (%-tokens escaped, ${VAR} refused).
    const keyPath = keyPathOf(endpoint, layout.clientKey);
    const why = machinesPathProblem(keyPath) ?? sshConfigPathProblem(keyPath);
    if (why) {
      badKey = true;
      problems.push({ path: keyPath, lineNumber: null, message: `The key of ${endpoint.alias}, ${keyPath}, ${why}. Move the key to a path without it, set that path, then plan again.` });
    }
  }
  if (badKey) {
    // Every machines line and alias would carry the broken path: plan no file.
    return { target, layout, files: [], problems, environment: [], changes: false, summary: `Nothing can be applied to ${describeTarget(target)}: ${problems.length} problem(s).`, nixDarwinConfig: null };
  }
  if (input.record && JSON.stringify(input.record.target) !== JSON.stringify(target)) {
    problems.push({
      path: '',
      message: `Builder Bar's wiring is applied to ${describeTarget(input.record.target)}; remove it there first (builder-bar nix remove).`,
      lineNumber: null,
    });
  }
  if (target.kind === 'system' && builder.proxyCommand) {
    // Root's ssh runs the ProxyCommand (the nix-darwin form's too): only code the user's account
    // cannot change (proxyCommandLine.ts).
    for (const why of await rootRunProblems(builder.proxyCommand.code)) {
      problems.push({
        path: builder.proxyCommand.code.join(' '),
        lineNumber: null,
        message: `On demand, root's nix-daemon would run Builder Bar's CLI as its ssh ProxyCommand, but ${why} Install Builder Bar where only root can change it (an app in /Applications owned by root), or turn "on demand" off for the system wiring.`,
      });
    }
  }
  const links = await linksAmong([layout.nixConf, layout.machines, layout.sshConfig, layout.knownHosts, layout.clientKey]);
  if (links.length > 0) {
    for (const link of links) problems.push({ path: link.path, message: linkProblemMessage(link), lineNumber: null });
    const which = links.length === 1 ? `${links[0]!.path} is a symbolic link` : `${links.map((link) => link.path).join(', ')} are symbolic links`;
    return {
      target,
      layout,
      files: [],
      problems,
      environment: [],
      changes: false,
      summary: `Nothing can be applied to ${describeTarget(target)}: ${which}, which Builder Bar never replaces or writes through. The nix-darwin configuration below does the same wiring.`,
      nixDarwinConfig: nixDarwinConfig({ builders: everyBuilder, layout, clientKeySource: input.clientKeySource ?? null, determinate: target.kind === 'system' && target.determinate }),
    };
  }
  const recorded = new Map((input.record?.files ?? []).map((file) => [file.path, file]));
  const files: PlannedFile[] = [];
  /** What Nix reads but ignores in the user's files: said in the summary, never a problem. */
  const notes: string[] = [];

  const plan = async (role: WiringFileRole, file: string, defaultMode: number, content: (current: string | null) => string | null | Promise<string | null>) => {
    const current = await readCurrent(file);
    if (current.unreadable) {
      planUnreadable(role, file, defaultMode);
      return;
    }
    if (current.notUtf8) {
      problems.push({ path: file, lineNumber: current.notUtf8.lineNumber, message: notUtf8Message(file, current.notUtf8, true) });
      return;
    }
    const unpaired = current.text === null ? null : splitMarkedBlock(current.text).unpaired;
    if (unpaired && role !== 'client-key' && role !== 'log-relay-job') {
      problems.push({ path: file, lineNumber: unpaired.lineNumber, message: `${unpairedMarkerMessage(file, unpaired)}. Put the missing marker line back around Builder Bar's lines, or delete Builder Bar's lines and the marker; then plan again.` });
      return;
    }
    const createdByUs = recorded.get(file)?.createdByUs ?? !current.snapshot.exists;
    const after = await content(current.text);
    if (after === null) return;
    const change = current.text === after ? 'none' : current.snapshot.exists ? 'update' : 'create';
    const secret = role === 'client-key';
    const diff = change === 'none'
      ? ''
      : secret
        ? `${change === 'create' ? 'create' : 'replace'} ${file} (private key, mode 0600, content not shown)\n`
        : unifiedDiff(file, current.text, after);
    files.push({
      path: file,
      role,
      before: current.snapshot,
      after,
      mode: current.snapshot.mode ?? defaultMode,
      change,
      createdByUs,
      secret,
      diff,
    });
  };

  /**
   * A file this user cannot read. After a system apply that is the client key (root's, 0600, as
   * nix-daemon needs it): the record says what Builder Bar wrote there, and the admin script
   * checks, as root, that the file still holds exactly that before it changes anything. Any
   * other unreadable file, or a key Builder Bar did not write, is a problem to fix first.
   */
  const planUnreadable = (role: WiringFileRole, file: string, defaultMode: number): void => {
    const ours = recorded.get(file);
    if (role === 'client-key' && ours?.createdByUs) {
      const change = ours.writtenSha256 === sha256(input.clientPrivateKey) ? 'none' : 'update';
      files.push({
        path: file,
        role,
        before: { exists: true, sha256: ours.writtenSha256, mode: defaultMode },
        after: input.clientPrivateKey,
        mode: defaultMode,
        change,
        createdByUs: true,
        secret: true,
        diff: change === 'none' ? '' : `replace ${file} (private key, mode 0600, content not shown)\n`,
      });
      return;
    }
    problems.push({
      path: file,
      lineNumber: null,
      message: `${file} exists and this user may not read it (permission denied), so Builder Bar cannot tell what it holds. Check its owner and mode (ls -l ${file}); nothing was planned for it.`,
    });
  };

  // Root's nix-daemon reads the system target: it gets the relay's root-owned socket, never the core's.
  const relay = target.kind === 'system' && input.jsonLogPath ? (input.logRelay ?? systemLogRelay(input.jsonLogPath)) : null;
  /** Set once nix.conf is planned: true when it makes Nix write to the relay's socket. */
  let relayWanted = false;
  await plan('nix.conf', layout.nixConf, 0o644, async (current) => {
    const outside = splitMarkedBlock(current ?? '').outside;
    // Under Determinate, Nix starts at its own nix.conf and reaches ours through an include (wiringReadOrder.ts).
    const start = confReadStart(target, layout);
    const users = await usersBuilders(start, layout.nixConf, outside, layout.defaultBuilders);
    notes.push(...users.notes);
    if (users.problems.length > 0) {
      problems.push(...users.problems);
      return null;
    }
    notes.push(...(await laterBuildersNotes(input.env ?? process.env, layout)));
    const stale = await staleOwnEntries(everyBuilder, users, layout.machines);
    notes.push(...stale.notes);
    problems.push(...stale.problems);
    const theirs = users.settings.get('json-log-path') ?? null;
    const after = withMarkedBlock(current ?? '', [...nixConfBlock(users.entries, layout.machines), ...jsonLogPathLines(theirs, input.jsonLogPath, relay)]);
    const overridden = await oursOverridden(start, layout.nixConf, after, layout.defaultBuilders);
    if (overridden) problems.push(overridden);
    relayWanted = relay !== null && 'plan' in relay && pointsAt(after, theirs, relay.plan.job.socketPath);
    return after;
  });
  await plan('machines', layout.machines, 0o644, (current) => withMarkedBlock(current ?? '', everyBuilder.map((endpoint) => machinesLine(endpoint, layout.clientKey))));
  await plan('ssh_config', layout.sshConfig, 0o644, (current) =>
    withMarkedBlock(current ?? '', everyBuilder.flatMap((endpoint) => sshAliasLines(endpoint, layout.clientKey, layout.knownHosts))),
  );
  await plan('known_hosts', layout.knownHosts, 0o644, (current) => withMarkedBlock(current ?? '', everyBuilder.map(knownHostsLine)));
  await plan('client-key', layout.clientKey, 0o600, (current) => {
    const recordedKey = recorded.get(layout.clientKey);
    if (current !== null && current !== input.clientPrivateKey && !recordedKey?.createdByUs) {
      problems.push({
        path: layout.clientKey,
        lineNumber: null,
        message: `${layout.clientKey} exists and is not Builder Bar's key; move it away, then plan again.`,
      });
      return null;
    }
    return input.clientPrivateKey;
  });
  if (relayWanted && relay !== null && 'plan' in relay && layout.logRelayJob !== relay.plan.jobFile.path) {
    // Only this user's job may be written (wiringBounds.ts would refuse any other at apply).
    problems.push({ path: relay.plan.jobFile.path, lineNumber: null, message: `The log relay's job ${relay.plan.jobFile.path} is not this user's (${String(layout.logRelayJob)}); nothing was planned.` });
  } else if (relayWanted && relay !== null && 'plan' in relay) {
    const job = relay.plan.jobFile;
    // The whole file is Builder Bar's, like the key: one that is someone else's is never replaced.
    await plan('log-relay-job', job.path, job.mode, (current) => {
      if (current !== null && current !== job.content && !recorded.get(job.path)?.createdByUs) {
        problems.push({ path: job.path, lineNumber: null, message: `${job.path} exists and is not Builder Bar's; move it away, then plan again.` });
        return null;
      }
      return job.content;
    });
  }

  // Nix not printing the configuration is said only when the plan found no cause of its own in
  // the files (a malformed line, which Nix refuses too, is the same problem said more precisely).
  if (problems.length === 0) {
    for (const nixProblem of input.nixProblems ?? []) {
      problems.push({ path: '', lineNumber: null, message: `${nixProblem.message} ${nixProblem.fix} Builder Bar does not wire a Nix it cannot read.` });
    }
  }
  const changes = files.some((file) => file.change !== 'none');
  const headline = problems.length > 0
    ? `Nothing can be applied to ${describeTarget(target)}: ${problems.length} problem(s).`
    : changes
      ? `${files.filter((file) => file.change !== 'none').length} file(s) to write in ${describeTarget(target)}.`
      : `${describeTarget(target)} is already wired to the builder; nothing to write.`;
  const summary = [headline, ...notes].join(' ');
  return { target, layout, files, problems, environment: environmentLines(layout), changes, summary, nixDarwinConfig: null };
}

/**
 * Our nix.conf block, one setting a line (a new setting is one more line here): the user's
 * builders kept, ours added.
 */
function nixConfBlock(userBuilders: readonly string[], machinesPath: string): string[] {
  return [
    `builders = ${buildersWithOurs(userBuilders, machinesPath)}`,
    // Lets the builder fetch what it can itself instead of waiting for this machine to upload it.
    'builders-use-substitutes = true',
  ];
}

/** The plan without the private key's bytes: what a door may show or send. */
export function publicPlan(plan: WiringPlan): WiringPlan {
  return { ...plan, files: plan.files.map((file) => (file.secret ? { ...file, after: '' } : file)) };
}

/** A conf dir must be a directory (or not exist yet: apply makes it). */
async function confDirKindProblem(dir: string): Promise<string | null> {
  const stat = await fs.stat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    if (error.code === 'ENOTDIR') return 'not-a-directory' as const;
    throw error;
  });
  if (stat === null || (stat !== 'not-a-directory' && stat.isDirectory())) return null;
  return `The config directory "${dir}" is not a directory (a file is in the way). Choose a directory you own, or a path that does not exist yet.`;
}
