/**
 * Keeps one running guest's clock within CLOCK_TOLERANCE_MS of the host's: given each measured
 * offset (guestClock.ts, with every stats sample, the first right after readiness passed, so after
 * a restore, a wake-up recheck, or a pause that made the guest miss samples), it sets the clock
 * over the control port when the guest has one, or says once that this profile's clock cannot be
 * set from here. One correction at a time; the next sample shows whether it held.
 */
import path from 'node:path';
import type { LogSink } from '../../logs/logSink.js';
import type { BuilderProfile } from '../profile.js';
import { RUN_DIR_FILES } from '../vmFiles.js';
import { CLOCK_TOLERANCE_MS } from './guestClock.js';
import { GuestControl } from './guestControl.js';

export interface ClockKeeperInit {
  profile: Pick<BuilderProfile, 'name' | 'controlPort'>;
  vmDir: string;
  logs: LogSink;
  now: () => number;
}

export class ClockKeeper {
  private correcting = false;
  private toldCannot = false;

  constructor(private readonly init: ClockKeeperInit) {}

  /** Acts on one measured offset (null: not measured). */
  async check(offsetMs: number | null): Promise<void> {
    if (offsetMs === null || Math.abs(offsetMs) <= CLOCK_TOLERANCE_MS || this.correcting) return;
    const off = `${(Math.abs(offsetMs) / 1000).toFixed(2)} s ${offsetMs > 0 ? 'ahead of' : 'behind'} the host`;
    if (!this.init.profile.controlPort) {
      if (!this.toldCannot) this.init.logs.append('app', 'warn', `The guest's clock is ${off}; the ${this.init.profile.name} profile's guest has no control port, so Builder Bar cannot set it.`);
      this.toldCannot = true;
      return;
    }
    this.correcting = true;
    let control: GuestControl | null = null;
    try {
      control = await GuestControl.connect(path.join(this.init.vmDir, RUN_DIR_FILES.controlSocket), { timeoutMs: 2_000 });
      await control.setClock(this.init.now, { timeoutMs: 5_000 });
      this.init.logs.append('app', 'info', `The guest's clock was ${off}: set it from the host's.`);
    } catch (error) {
      this.init.logs.append('app', 'warn', `The guest's clock is ${off} and could not be set: ${(error as Error).message}`);
    } finally {
      control?.close();
      this.correcting = false;
    }
  }
}
