/**
 * The steps every Nix wiring action begins with, shared by `builder-bar nix` (which runs without
 * a core) and the core's `nix.*` handlers, so both choose the same target, read the same inputs
 * and detect Nix the same way: choose the target, read the builder's inputs from the state dir,
 * detect Nix as that target makes it look, then plan or verify. Which Nix runs comes from the
 * caller's NixResolver (the core's, or the CLI's from the state dir's settings and environment).
 */
import path from 'node:path';
import { BuilderBarError } from '../errors.js';
import type { StatePaths } from '../paths.js';
import { builderSystem, wiringInputsFromState, type WiringInputs } from './builderFromState.js';
import { detectNix, type DetectOptions, type NixDetection } from './detectNix.js';
import { environmentNix, type NixResolution, type NixResolver } from './nixInstallation.js';
import { planWiring, type WiringPlan } from './planWiring.js';
import { GUEST_HOSTNAME, verifyWiring, type VerifyResult } from './verifyWiring.js';
import { readWiringRecord } from './wiringRecord.js';
import { targetLayout, type TargetLayout, type WiringTarget } from './wiringTarget.js';
import { nixLogSocketPath } from '../builds/logSocket.js';

/** Detection with its options; tests pass recorded answers instead of running Nix. */
export type Detect = (options: DetectOptions) => Promise<NixDetection>;

export const detectWithRealNix: Detect = (options) => detectNix(undefined, options);

export interface TargetChoice {
  /** The conf-dir target when given; resolved against the working directory. */
  confDir: string | undefined;
  stateDir: string;
  platform: NodeJS.Platform;
  /** Verify (and build) mean "what was applied": without a conf dir, use the recorded target. */
  preferRecorded: boolean;
  detect?: Detect;
  /** The Nix detection looks at (default: this process's environment's). */
  nix?: NixResolver;
}

export async function chooseWiringTarget(choice: TargetChoice): Promise<WiringTarget> {
  if (choice.confDir !== undefined) return { kind: 'confDir', dir: path.resolve(choice.confDir) };
  if (choice.preferRecorded) {
    const record = await readWiringRecord(choice.stateDir);
    if (record) return record.target;
  }
  if (choice.platform !== 'darwin') {
    throw new BuilderBarError(
      'not-supported',
      'Wiring the system Nix configuration (/etc/nix) is the macOS admin step; on this system Builder Bar only wires a directory you own.',
      'Use --conf-dir DIR (in the app: a config directory), then export the NIX_CONF_DIR and NIX_SSHOPTS it prints.',
    );
  }
  // Determinate Nix decides which file the system target edits (nix.custom.conf).
  const detection = await (choice.detect ?? detectWithRealNix)({ nix: await (choice.nix ?? environmentNix()).resolve() });
  return { kind: 'system', determinate: detection.determinate };
}

export interface WiringSession {
  target: WiringTarget;
  layout: TargetLayout;
  inputs: WiringInputs;
  /** Nix as the target makes it look (a conf dir's NIX_CONF_DIR applied). */
  detection: NixDetection;
  /** The Nix that detected, and that verify builds with. */
  nix: NixResolution;
}

export async function openWiringSession(
  paths: StatePaths,
  target: WiringTarget,
  platform: NodeJS.Platform,
  detect: Detect = detectWithRealNix,
  nixResolver: NixResolver = environmentNix(),
): Promise<WiringSession> {
  const inputs = await wiringInputsFromState(paths, platform);
  const layout = targetLayout(target);
  const nix = await nixResolver.resolve();
  const detection = await detect({ env: layout.env, ownAlias: inputs.builder.alias, ownBuilderPort: inputs.runningBuilderPort, nix });
  return { target, layout, inputs, detection, nix };
}

/** A fresh plan against the files as they are now and the wiring recorded in the state dir. */
export async function planSession(session: WiringSession, stateDir: string): Promise<WiringPlan> {
  return planWiring({
    target: session.target,
    builder: session.inputs.builder,
    remotes: session.inputs.remotes,
    clientPrivateKey: session.inputs.clientPrivateKey,
    clientKeySource: session.inputs.clientKeyFile,
    record: await readWiringRecord(stateDir),
    jsonLogPath: { socketPath: nixLogSocketPath(stateDir), nixVersion: session.nix.found ? session.nix.installation.version : null },
    // Nix could not print the configuration this target makes (it refuses a line, or the bytes):
    // the wiring would go into a configuration Nix does not read, so the plan refuses. Nix
    // missing or a daemon that does not answer concern running Nix, not these files: a conf-dir
    // wiring is still written (verify then says what is wrong).
    nixProblems: session.detection.problems.filter((problem) => problem.blocking && problem.code === 'config-unreadable'),
  });
}

export async function verifySession(session: WiringSession, stateDir: string, signal?: AbortSignal): Promise<VerifyResult> {
  if (!session.nix.found) throw new BuilderBarError('nix-missing', session.nix.reason, session.nix.hint);
  return verifyWiring({
    nixBuild: session.nix.installation.programs['nix-build'],
    layout: session.layout,
    system: builderSystem(session.inputs.profile),
    workDir: stateDir,
    trusted: session.detection.trusted,
    // Through a daemon, a conf-dir wiring's builders are passed on the command line and the
    // daemon is asked about trust after a failure (verifyWiring.ts).
    viaDaemon: session.detection.mode === 'daemon',
    nixVersion: session.nix.installation.version,
    determinate: session.detection.determinate,
    // nixpkgs' builder names itself; only our own guest's hostname is known in advance.
    expectedHostname: session.inputs.profile === 'linux-test' ? GUEST_HOSTNAME : null,
    ...(signal ? { signal } : {}),
  });
}
