/**
 * The restart policy over time: how many automatic restarts came in a row, the timer of the
 * next one, and the clock that forgets them once the builder stayed ready long enough.
 * restartPlanner.ts decides (a pure function); this keeps its history and its timers. The
 * supervisor says when a failure happened and, when the timer fires, whether a restart is still
 * wanted, so a stop or a start by the user in between wins.
 */
import type { Settings, Status, VmError } from '../../ipc/contract.js';
import type { LogSink } from '../logs/logSink.js';
import { gaveUpError } from './builderFailure.js';
import { planRestart, rememberRestart, type BackoffSchedule, type RestartHistory } from './restartPlanner.js';

export interface RestartTiming {
  backoff: BackoffSchedule;
  /** Ready this long and the restart counter starts over. */
  stableAfterMs: number;
}

const noRestarts: RestartHistory = { attempts: 0, recentRestarts: [] };

export class AutoRestarts {
  private history: RestartHistory = noRestarts;
  private timer: NodeJS.Timeout | null = null;
  private stableTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly timing: RestartTiming,
    private readonly now: () => number,
    private readonly logs: LogSink,
  ) {}

  /** A start by the user: whatever failed before, counting starts over. */
  reset(): void {
    this.cancel();
    this.history = noRestarts;
  }

  /** Drops a pending restart; callers put `restart.nextAt: null` into the status change they make next. */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * After a failure worth a restart: plans the next one and returns the status change that shows
   * the plan or the give-up (null when restarts are off). When the time comes, `restart` is called
   * with the attempt's number, if `stillWanted()` says so then.
   */
  schedule(policy: Settings['restartPolicy'], previous: VmError | null, stillWanted: () => boolean, restart: (attempt: number) => void): Partial<Status> | null {
    const decision = planRestart(policy, this.history, this.now(), this.timing.backoff);
    if (decision.kind === 'disabled') {
      this.logs.append('app', 'info', 'Automatic restarts are off; the builder stays stopped until you start it.');
      return null;
    }
    if (decision.kind === 'give-up') {
      this.logs.append('app', 'error', `${decision.message} ${decision.hint}`);
      return {
        detail: decision.message,
        restart: { attempts: this.history.attempts, nextAt: null, gaveUp: true },
        error: gaveUpError(decision, previous, this.now()),
      };
    }
    this.logs.append('app', 'info', `Restarting the builder in ${(decision.delayMs / 1000).toFixed(0)} s.`);
    this.cancel();
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!stillWanted()) return;
      this.history = rememberRestart(this.history, this.now(), this.timing.backoff);
      this.logs.append('app', 'info', `Automatic restart ${this.history.attempts} of at most ${policy.giveUpAfter}.`);
      restart(this.history.attempts);
    }, decision.delayMs);
    this.timer.unref();
    return { restart: { attempts: this.history.attempts, nextAt: decision.at, gaveUp: false } };
  }

  /** The builder is ready: if it stays up for `stableAfterMs`, earlier restarts are forgotten and `onStable` is told. */
  startStableClock(onStable: () => void): void {
    this.stopStableClock();
    this.stableTimer = setTimeout(() => {
      this.stableTimer = null;
      this.history = noRestarts;
      onStable();
    }, this.timing.stableAfterMs);
    this.stableTimer.unref();
  }

  stopStableClock(): void {
    if (this.stableTimer) clearTimeout(this.stableTimer);
    this.stableTimer = null;
  }
}
