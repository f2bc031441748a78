/**
 * The system target's writer (/etc/nix, /etc/ssh need root): every operation is carried out by
 * ONE admin step the user approves with their password (adminScript.ts), run through a
 * `PrivilegedRunner` (macAdminRunner.ts). The operations are checked against the layout first
 * (wiringBounds.ts); new contents are staged in a private temporary directory of the state dir
 * (mkdtemp, 0700, removed when the step ends), which the script copies into root's own directory
 * and checks by SHA-256 before installing. The script's text goes to the prompt inline; a copy
 * is left in the state dir for the user to read, and it is never what runs.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BuilderBarError } from '../errors.js';
import { writeFileAtomic } from '../util/atomicWrite.js';
import { adminScript, type AdminLogRelay } from './adminScript.js';
import type { PrivilegedRunner } from './macAdminRunner.js';
import { checkOperations } from './wiringBounds.js';
import { readCurrentFile, type CurrentFile, type WiringFileWriter, type WiringOperation } from './wiringFileWriter.js';
import { targetLayout, type WiringTarget } from './wiringTarget.js';

/** The copy of the last admin script, for the user to read (0600; never run from here). */
export const ADMIN_SCRIPT_COPY = 'nix-wiring-admin-script.sh';

export interface AdminWriterOptions {
  target: Extract<WiringTarget, { kind: 'system' }>;
  stateDir: string;
  runner: PrivilegedRunner;
  /** The command that restarts the daemon (argument array). */
  restartDaemon: readonly string[];
  /** Tests only: a directory standing for `/`. The real writer never sets it. */
  root?: string;
  /** The system log socket's job for this user (launchdLogSocket.ts): started after its file is installed, stopped on remove. */
  logRelay?: AdminLogRelay | null;
}

export class AdminFileWriter implements WiringFileWriter {
  readonly target: WiringTarget;

  constructor(private readonly options: AdminWriterOptions) {
    this.target = options.target;
  }

  read(file: string): Promise<CurrentFile> {
    return readCurrentFile(this.onHost(file));
  }

  /** The script for these operations (staged copies named as `staged` says), after checking them. */
  script(operations: readonly WiringOperation[], staged: ReadonlyMap<number, string>, title: string): string {
    // Checked again here, right before the text root runs is built.
    checkOperations(operations, this.target, this.options.stateDir);
    return adminScript({
      operations,
      staged,
      nixConf: targetLayout(this.target).nixConf,
      restartDaemon: this.options.restartDaemon,
      root: this.options.root ?? '',
      title,
      logRelay: this.options.logRelay ?? null,
    });
  }

  async carryOut(operations: readonly WiringOperation[]): Promise<void> {
    checkOperations(operations, this.target, this.options.stateDir);
    if (operations.length === 0) return;
    const title = operations.some((op) => op.kind === 'restore' || op.kind === 'remove') ? 'take the wiring to the Linux builder back out of Nix' : 'wire Nix to the Linux builder';
    // A private directory per step: a CLI and a core, or two steps, never share or delete each other's.
    const stagingDir = await fs.mkdtemp(path.join(this.options.stateDir, 'nix-wiring-admin-'));
    try {
      const staged = new Map<number, string>();
      for (const [index, op] of operations.entries()) {
        if (op.kind !== 'write') continue;
        const file = path.join(stagingDir, `${index}-${path.basename(op.file)}`);
        await writeFileAtomic(file, op.content, { mode: 0o600 });
        staged.set(index, file);
      }
      const script = this.script(operations, staged, title);
      const copy = path.join(this.options.stateDir, ADMIN_SCRIPT_COPY);
      await writeFileAtomic(copy, script, { mode: 0o600 });
      const outcome = await this.options.runner.run(script);
      if (outcome.exitCode !== 0) throw adminStepError(outcome.exitCode, outcome.output, copy);
    } finally {
      await fs.rm(stagingDir, { recursive: true, force: true });
    }
  }

  private onHost(file: string): string {
    return this.options.root ? path.join(this.options.root, file) : file;
  }
}

function adminStepError(exitCode: number | null, output: string, copy: string): BuilderBarError {
  const said = output.trim().split('\n').filter((line) => line.trim() !== '').slice(-3).join(' ');
  if (exitCode === -128) {
    return new BuilderBarError('wiring-refused', 'You cancelled the administrator prompt; nothing was changed.', 'Apply again when you are ready to approve it.');
  }
  if (exitCode === 3) {
    return new BuilderBarError('wiring-refused', `A file changed since Builder Bar read it; nothing was changed. ${said}`.trim(), 'Plan again to see the change against the current files.');
  }
  if (exitCode === 4) {
    return new BuilderBarError(
      'wiring-refused',
      `What Builder Bar prepared for the admin step changed while the password prompt was open; nothing was changed. ${said}`.trim(),
      'Something running as you changed files in the state dir meanwhile. Plan and apply again; if it happens again, find what writes there.',
    );
  }
  if (exitCode === 5) {
    return new BuilderBarError(
      'wiring-refused',
      `launchd did not start the log relay that gives root's nix-daemon a socket for the queue; no Nix file was changed. ${said}`.trim(),
      'Look for dev.builder-bar.nix-log in the system log (log show --predicate \'process == "launchd"\' --last 5m), then plan and apply again.',
    );
  }
  return new BuilderBarError(
    'not-supported',
    `The admin step did not complete (exit ${exitCode ?? 'unknown'}): ${said}`,
    `A copy of the script that ran is ${copy}, for you to read.`,
  );
}
