/**
 * The core's `nix.*` requests: the same steps `builder-bar nix` runs (wiringSession.ts), with
 * what a long-lived core adds: plan, apply, remove and verify say in the `nix-wiring` log what
 * they did, file by file (apply and remove also in the app log), and verify first brings the
 * builder up, so it never fails only because the VM was still booting. Apply and remove run
 * one at a time, in the order asked (the renderer, the CLI through the socket and the tray may
 * ask together): two writers of the wiring would each check the files, then overwrite what the
 * other just wrote.
 */
import type { RequestName, RequestOutput, Status, WiringVerifyResult } from '../../ipc/contract.js';
import type { ValidInput } from '../core.js';
import { BuilderBarError } from '../errors.js';
import type { LogSink } from '../logs/logSink.js';
import type { StatePaths } from '../paths.js';
import { applyWiring, removeWiring } from './applyWiring.js';
import { environmentNix, type NixResolver } from './nixInstallation.js';
import { BUILDER_ALIAS } from './builderEndpoint.js';
import { wiringPlanView } from './planView.js';
import { chooseWiringTarget, detectWithRealNix, openWiringSession, planSession, verifySession, type Detect } from './wiringSession.js';
import { describeTarget, targetLayout } from './wiringTarget.js';

type NixRequest = Extract<RequestName, `nix.${string}`>;

/** The log stream of everything these handlers do to the user's Nix configuration. */
const WIRING = 'nix-wiring';
export type NixHandlers = { [N in NixRequest]: (input: ValidInput<N>) => Promise<RequestOutput<N>> };

/** What verify needs of the supervisor: whether the builder is ready, and a way to make it so. */
export interface BuilderStarter {
  status(): Status;
  start(options: { wait?: boolean }): Promise<Status>;
}

export interface NixHandlerDeps {
  paths: StatePaths;
  platform: NodeJS.Platform;
  logs: LogSink;
  builder: BuilderStarter;
  detect?: Detect;
  /** The Nix every step runs (the core's locator: the nixBinDir setting, then the environment's). */
  nix?: NixResolver;
}

export function nixHandlers(deps: NixHandlerDeps): NixHandlers {
  const { paths, platform, logs } = deps;
  const detect = deps.detect ?? detectWithRealNix;
  const nix = deps.nix ?? environmentNix();
  const target = (confDir: string | undefined, preferRecorded: boolean) =>
    chooseWiringTarget({ confDir, stateDir: paths.stateDir, platform, preferRecorded, detect, nix });
  const session = async (confDir: string | undefined, preferRecorded: boolean) =>
    openWiringSession(paths, await target(confDir, preferRecorded), platform, detect, nix);
  const inTurn = oneAtATime();

  return {
    // Without a conf dir, detection looks at the user's own Nix configuration as it stands.
    'nix.detect': async (input) =>
      detect({
        env: input.confDir !== undefined ? targetLayout({ kind: 'confDir', dir: input.confDir }).env : {},
        ownAlias: BUILDER_ALIAS,
        ownBuilderPort: ownBuilderPort(deps.builder.status()),
        nix: await nix.resolve(),
      }),
    'nix.plan': async (input) => {
      const view = wiringPlanView(await planSession(await session(input.confDir, false), paths.stateDir));
      logs.append(WIRING, 'info', `Plan for ${view.targetDescription}: ${view.files.map((file) => `${file.change} ${file.path}`).join(', ') || 'no files'}.`);
      for (const problem of view.problems) logs.append(WIRING, 'warn', `Plan problem in ${problem.path}${problem.lineNumber === null ? '' : ` line ${problem.lineNumber}`}: ${problem.message}`);
      return view;
    },
    'nix.apply': (input) => inTurn(async () => {
      const opened = await session(input.confDir, false);
      const plan = await planSession(opened, paths.stateDir);
      const where = describeTarget(plan.target);
      logs.append(WIRING, 'info', `Apply to ${where}: writing ${plan.files.filter((file) => file.change !== 'none').length} file(s).`);
      let result: Awaited<ReturnType<typeof applyWiring>>;
      try {
        result = await applyWiring(plan, paths.stateDir);
      } catch (error) {
        logs.append(WIRING, 'error', `Apply to ${where} refused or failed, nothing written: ${(error as Error).message}`);
        throw error;
      }
      for (const file of result.written) logs.append(WIRING, 'info', `Apply: wrote ${file}`);
      for (const file of result.unchanged) logs.append(WIRING, 'info', `Apply: unchanged ${file}`);
      logs.append(
        'app',
        'info',
        result.written.length === 0
          ? `Nix wiring: ${where} is already wired to the builder; nothing written.`
          : `Nix wiring applied to ${where}: wrote ${result.written.join(', ')}${result.unchanged.length > 0 ? `; unchanged ${result.unchanged.join(', ')}` : ''}.`,
      );
      return {
        written: result.written,
        unchanged: result.unchanged,
        environment: plan.environment,
        summary: result.written.length === 0 ? `${where} is already wired; nothing written.` : `Wrote ${result.written.length} file(s) in ${where}.`,
      };
    }),
    'nix.remove': () => inTurn(async () => {
      const result = await removeWiring(paths.stateDir);
      const parts = [
        result.restored.length > 0 ? `restored ${result.restored.join(', ')}` : null,
        result.deleted.length > 0 ? `deleted ${result.deleted.join(', ')}` : null,
        result.blockRemoved.length > 0 ? `took Builder Bar's block out of ${result.blockRemoved.join(', ')}` : null,
      ].filter((part): part is string => part !== null);
      logs.append('app', 'info', parts.length > 0 ? `Nix wiring removed: ${parts.join('; ')}.` : 'Nix wiring: nothing to remove.');
      for (const file of result.restored) logs.append(WIRING, 'info', `Remove: restored ${file}`);
      for (const file of result.deleted) logs.append(WIRING, 'info', `Remove: deleted ${file}`);
      for (const file of result.blockRemoved) logs.append(WIRING, 'info', `Remove: took Builder Bar's block out of ${file}`);
      if (parts.length === 0) logs.append(WIRING, 'info', 'Remove: nothing to remove.');
      for (const note of result.notes) {
        logs.append('app', 'warn', note);
        logs.append(WIRING, 'warn', `Remove: ${note}`);
      }
      return result;
    }),
    'nix.verify': async (input) => {
      // Resolve the target first: a refused target should not boot a VM.
      const chosen = await target(input.confDir, true);
      logs.append(WIRING, 'info', `Verify ${describeTarget(chosen)}: building a probe that only the builder may run.`);
      const result = (await ensureReady(deps.builder, logs)) ?? (await verifySession(await openWiringSession(paths, chosen, platform, detect, nix), paths.stateDir));
      if (result.ok) {
        logs.append(WIRING, 'info', `Verify: ${result.message} (${result.seconds} s)`);
      } else {
        logs.append(WIRING, 'error', `Verify failed (${result.failure.cause}): ${result.failure.message} Fix: ${result.failure.fix}`);
        for (const line of result.failure.stderrTail) logs.append(WIRING, 'error', `  ${line}`);
      }
      return result;
    },
  };
}

/** Runs each step after the previous one settled, whatever its outcome. */
function oneAtATime(): <T>(step: () => Promise<T>) => Promise<T> {
  let last: Promise<unknown> = Promise.resolve();
  return <T>(step: () => Promise<T>): Promise<T> => {
    const run = last.then(step, step);
    last = run.catch(() => undefined);
    return run;
  };
}

/** The port our VM's ssh forward holds while its QEMU runs (detection leaves it alone), else null. */
function ownBuilderPort(status: Status): number | null {
  return status.pid !== null ? status.sshPort : null;
}

/** Null once the builder is ready; otherwise verify's answer, saying why it is not. */
async function ensureReady(builder: BuilderStarter, logs: LogSink): Promise<WiringVerifyResult | null> {
  if (builder.status().state === 'ready') return null;
  const started = Date.now();
  logs.append('app', 'info', 'Verify: starting the builder first and waiting until it is ready.');
  let status: Status;
  try {
    status = await builder.start({ wait: true });
  } catch (error) {
    if (!(error instanceof BuilderBarError)) throw error;
    return notReadyResult(error.message, error.hint, [], started);
  }
  if (status.state === 'ready') return null;
  return notReadyResult(status.error?.message ?? `the builder is ${status.state} (${status.detail})`, status.error?.hint ?? null, status.error?.consoleTail ?? [], started);
}

function notReadyResult(reason: string, hint: string | null, tail: string[], started: number): WiringVerifyResult {
  return {
    ok: false,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    failure: {
      cause: 'builder-not-ready',
      message: `Builder not ready: it did not start, so nothing was built. ${reason}`,
      fix: hint ?? 'Read the builder\'s last error on the dashboard, fix it, and start the builder again.',
      stderrTail: tail,
    },
  };
}
