/**
 * A baseline service over a fresh settings store and log hub, for tests that track repositories
 * and never build: every build it would start is refused, and no store path exists.
 */
import path from 'node:path';
import { LogHub } from '../../logs/logHub.js';
import { environmentNix } from '../../nix/nixInstallation.js';
import { SettingsStore } from '../../settings/settingsStore.js';
import { BaselineService, type BaselineServiceOptions } from '../baselineService.js';

export async function serviceWithoutBuilds(stateDir: string, options: Partial<BaselineServiceOptions> = {}): Promise<{ service: BaselineService; logs: LogHub }> {
  const logs = new LogHub({ ringLines: 1000, logDir: null });
  const settings = await SettingsStore.open({ file: path.join(stateDir, 'settings.json'), limits: { cpus: 64, memoryMiB: 262_144 }, logs, platform: 'linux' });
  const service = await BaselineService.open({
    settings,
    logs,
    stateDir,
    startBuild: () => Promise.reject(new Error('no builds in this test')),
    onBuild: () => () => undefined,
    nixEnvironment: async () => ({}),
    storePathExists: async () => false,
    nix: environmentNix(),
    ...options,
  });
  return { service, logs };
}
