/**
 * The core's `nix.*` requests: the same steps `builder-bar nix` runs (wiringSession.ts), with
 * what a long-lived core adds: apply and remove say in the app log what they wrote, and verify
 * first brings the builder up, so it never fails only because the VM was still booting.
 */
import type { RequestName, RequestOutput, Status, WiringVerifyResult } from '../../ipc/contract.js';
import type { ValidInput } from '../core.js';
import { BuilderBarError } from '../errors.js';
import type { LogSink } from '../logs/logSink.js';
import type { StatePaths } from '../paths.js';
import { applyWiring, removeWiring } from './applyWiring.js';
import { BUILDER_ALIAS } from './builderEndpoint.js';
import { wiringPlanView } from './planView.js';
import { chooseWiringTarget, detectWithRealNix, openWiringSession, planSession, verifySession, type Detect } from './wiringSession.js';
import { describeTarget, targetLayout } from './wiringTarget.js';

type NixRequest = Extract<RequestName, `nix.${string}`>;
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
}

export function nixHandlers(deps: NixHandlerDeps): NixHandlers {
  const { paths, platform, logs } = deps;
  const detect = deps.detect ?? detectWithRealNix;
  const target = (confDir: string | undefined, preferRecorded: boolean) =>
    chooseWiringTarget({ confDir, stateDir: paths.stateDir, platform, preferRecorded, detect });
  const session = async (confDir: string | undefined, preferRecorded: boolean) =>
    openWiringSession(paths, await target(confDir, preferRecorded), platform, detect);

  return {
    // Without a conf dir, detection looks at the user's own Nix configuration as it stands.
    'nix.detect': async (input) =>
      detect({ env: input.confDir !== undefined ? targetLayout({ kind: 'confDir', dir: input.confDir }).env : {}, ownAlias: BUILDER_ALIAS }),
    'nix.plan': async (input) => wiringPlanView(await planSession(await session(input.confDir, false), paths.stateDir)),
    'nix.apply': async (input) => {
      const opened = await session(input.confDir, false);
      const plan = await planSession(opened, paths.stateDir);
      const result = await applyWiring(plan, paths.stateDir);
      const where = describeTarget(plan.target);
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
    },
    'nix.remove': async () => {
      const result = await removeWiring(paths.stateDir);
      const parts = [
        result.restored.length > 0 ? `restored ${result.restored.join(', ')}` : null,
        result.deleted.length > 0 ? `deleted ${result.deleted.join(', ')}` : null,
        result.blockRemoved.length > 0 ? `took Builder Bar's block out of ${result.blockRemoved.join(', ')}` : null,
      ].filter((part): part is string => part !== null);
      logs.append('app', 'info', parts.length > 0 ? `Nix wiring removed: ${parts.join('; ')}.` : 'Nix wiring: nothing to remove.');
      for (const note of result.notes) logs.append('app', 'warn', note);
      return result;
    },
    'nix.verify': async (input) => {
      // Resolve the target first: a refused target should not boot a VM.
      const chosen = await target(input.confDir, true);
      const notReady = await ensureReady(deps.builder, logs);
      if (notReady) return notReady;
      return verifySession(await openWiringSession(paths, chosen, platform, detect), paths.stateDir);
    },
  };
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
