/**
 * The environment a build needs to use the wiring Builder Bar applied: `NIX_CONF_DIR` and
 * `NIX_SSHOPTS` for a conf-dir target, nothing for the system target (the daemon reads
 * /etc/nix) or when nothing is applied (the user's own Nix configuration).
 */
import { readWiringRecord } from './wiringRecord.js';
import { targetLayout } from './wiringTarget.js';

export async function appliedBuildEnvironment(stateDir: string): Promise<Record<string, string>> {
  const record = await readWiringRecord(stateDir);
  return record ? targetLayout(record.target).env : {};
}
