/**
 * The system target (/etc/nix, /etc/ssh, root's backups) under a directory a test owns: the
 * admin step's real script, decoded from the very osascript argument the Mac would get and run
 * through sh, with `root` standing for `/`. The layout, the record and every check stay the real
 * system layout's; only the script's ROOT prefix and the writer's reads point into the test's
 * directory. A plan is built here by hand (planWiring reads the real /etc).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { AdminFileWriter } from '../adminFileWriter.js';
import type { AdminLogRelay } from '../adminScript.js';
import { adminLogRelay } from '../launchdLogSocket.js';
import { macAdminArguments, type PrivilegedRunner } from '../macAdminRunner.js';
import { withMarkedBlock } from '../markedBlock.js';
import type { PlannedFile, WiringFileRole, WiringPlan } from '../planWiring.js';
import type { SystemLogSocketPlan } from '../systemLogSocket.js';
import { sha256, type WiringRecord } from '../wiringRecord.js';
import { targetLayout } from '../wiringTarget.js';

export const systemTarget = { kind: 'system', determinate: false } as const;
export const systemLayout = targetLayout(systemTarget);

/** Reads back an AppleScript string literal (the inverse of appleScriptString, written apart). */
export function decodeAppleScriptString(literal: string): string {
  if (!literal.startsWith('"') || !literal.endsWith('"')) throw new Error(`not an AppleScript string: ${literal.slice(0, 40)}`);
  let text = '';
  for (let index = 1; index < literal.length - 1; index += 1) {
    const char = literal[index]!;
    if (char === '"') throw new Error('an unescaped quote inside the AppleScript string');
    if (char !== '\\') {
      text += char;
      continue;
    }
    index += 1;
    const next = literal[index];
    text += next === 'n' ? '\n' : next === 'r' ? '\r' : next === 't' ? '\t' : next === '"' ? '"' : next === '\\' ? '\\' : `\\${next ?? ''}`;
  }
  return text;
}

/** The script text osascript would hand to /bin/sh, read back from its argument array. */
export function scriptFromOsascript(args: readonly string[]): string {
  const match = /^do shell script (".*") with administrator privileges$/s.exec(args[1] ?? '');
  if (args[0] !== '-e' || !match) throw new Error(`unexpected osascript arguments: ${JSON.stringify(args).slice(0, 200)}`);
  return decodeAppleScriptString(match[1]!);
}

export interface RecordingRunner extends PrivilegedRunner {
  /** Every script text that reached the runner. */
  readonly scripts: string[];
}

/** Runs the script as the prompt would: its text from the osascript argument, through `sh -c`. */
export function shRunner(beforeRun?: (script: string) => Promise<void>): RecordingRunner {
  const scripts: string[] = [];
  return {
    scripts,
    async run(script) {
      const text = scriptFromOsascript(macAdminArguments(script));
      scripts.push(text);
      await beforeRun?.(text);
      const result = await execa('sh', ['-c', text], { reject: false });
      return { exitCode: typeof result.exitCode === 'number' ? result.exitCode : null, output: `${String(result.stdout)}\n${String(result.stderr)}` };
    },
  };
}

/**
 * The admin step's writer for the system target under `root`. `logRelay`: root's commands for
 * the log relay's job in place of launchctl (recorders, say); its file and socket stay the
 * real layout's.
 */
export function systemWriter(root: string, stateDir: string, runner: PrivilegedRunner, marker: string, logRelay?: Pick<AdminLogRelay, 'start' | 'stop'>): AdminFileWriter {
  const relay = logRelay ? { ...adminLogRelay(process.getuid?.() ?? 0), ...logRelay } : null;
  return new AdminFileWriter({ target: systemTarget, stateDir, runner, restartDaemon: ['touch', marker], root, logRelay: relay });
}

/**
 * A plan for the system target against the files under `root`, as planWiring would make it.
 * With `logRelay` (a relay's plan for this process's user), nix.conf names its socket and its
 * LaunchDaemon is one more file.
 */
export async function systemPlan(root: string, record: WiringRecord | null, key = 'KEY\n', port = 31022, logRelay?: SystemLogSocketPlan): Promise<WiringPlan> {
  const layout = systemLayout;
  const relayLines = logRelay ? [`json-log-path = ${logRelay.job.socketPath}`] : [];
  const wanted: Array<[WiringFileRole, string, number, (current: string) => string]> = [
    ['nix.conf', layout.nixConf, 0o644, (current) => withMarkedBlock(current, [`builders = @${layout.machines}`, 'builders-use-substitutes = true', ...relayLines])],
    ['machines', layout.machines, 0o644, (current) => withMarkedBlock(current, [`ssh-ng://builder-bar-linux x86_64-linux ${layout.clientKey} 1 1`])],
    ['ssh_config', layout.sshConfig, 0o644, (current) => withMarkedBlock(current, ['Host builder-bar-linux', '  HostName 127.0.0.1', `  Port ${port}`])],
    ['known_hosts', layout.knownHosts, 0o644, (current) => withMarkedBlock(current, ['builder-bar-linux ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJBWcxb/Blaqt1auOtE+F8QUWrUotiC5qBJ+UuEWdVCb'])],
    ['client-key', layout.clientKey, 0o600, () => key],
    ...(logRelay ? [['log-relay-job', logRelay.jobFile.path, logRelay.jobFile.mode, () => logRelay.jobFile.content] as [WiringFileRole, string, number, (current: string) => string]] : []),
  ];
  const files: PlannedFile[] = [];
  for (const [role, file, defaultMode, content] of wanted) {
    const bytes = await fs.readFile(path.join(root, file)).catch(() => null);
    const mode = bytes === null ? null : (await fs.stat(path.join(root, file))).mode & 0o7777;
    const current = bytes?.toString('utf8') ?? null;
    const after = content(current ?? '');
    files.push({
      path: file,
      role,
      before: { exists: bytes !== null, sha256: bytes === null ? null : sha256(bytes), mode },
      after,
      mode: mode ?? defaultMode,
      change: current === after ? 'none' : bytes === null ? 'create' : 'update',
      createdByUs: record?.files.find((entry) => entry.path === file)?.createdByUs ?? bytes === null,
      secret: role === 'client-key',
      diff: '',
    });
  }
  return {
    target: systemTarget,
    layout,
    files,
    problems: [],
    environment: [],
    nixDarwinConfig: null,
    changes: files.some((file) => file.change !== 'none'),
    summary: 'a test plan for the system target',
  };
}

/** Every file under `dir`, relative, with its bytes and mode: for "nothing changed" checks. */
export async function snapshotTree(dir: string): Promise<Map<string, { bytes: string; mode: number }>> {
  const result = new Map<string, { bytes: string; mode: number }>();
  const walk = async (current: string): Promise<void> => {
    for (const entry of await fs.readdir(current, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) await walk(full);
      else result.set(path.relative(dir, full), { bytes: (await fs.readFile(full)).toString('base64'), mode: (await fs.stat(full)).mode & 0o7777 });
    }
  };
  await walk(dir);
  return result;
}
