/**
 * The status of a builder that is not running and has never failed: what the supervisor
 * starts from, and what every test that needs "a status" builds on.
 */
import type { ProfileName, Status } from './contract.js';

export function initialStatus(profile: ProfileName, since: number): Status {
  return {
    state: 'stopped',
    profile,
    since,
    detail: 'stopped',
    accelerator: null,
    pid: null,
    sshPort: null,
    hostKey: null,
    error: null,
    restart: { attempts: 0, nextAt: null, gaveUp: false },
    guest: null,
    adopted: false,
    hostKeySwitch: null,
  };
}
