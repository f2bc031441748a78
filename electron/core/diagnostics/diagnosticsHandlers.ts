/** The core's `diagnostics.create` and `app.info`: what this install is and runs, and the bundle to send. */
import os from 'node:os';
import type { AppInfo, ProfileName } from '../../ipc/contract.js';
import { appVersion } from '../appVersion.js';
import type { HandlersFor } from '../core.js';
import { hostToolsView } from '../host/hostToolsView.js';
import type { ToolSearchPath } from '../host/toolSearchPath.js';
import type { LogSink } from '../logs/logSink.js';
import { nixInUseView, type NixLocator } from '../nix/nixInstallation.js';
import { createDiagnostics, type DiagnosticsDeps } from './createDiagnostics.js';

export interface DiagnosticsHandlerDeps {
  bundle: DiagnosticsDeps;
  logs: LogSink;
  nix: NixLocator;
  tools: ToolSearchPath;
  profile: () => ProfileName;
  /** What loading settings.json found wrong (SettingsStore.loadNotices). */
  settingsNotices: () => readonly string[];
}

export function diagnosticsHandlers(deps: DiagnosticsHandlerDeps): HandlersFor<'diagnostics' | 'app'> {
  const { paths, platform } = deps.bundle;
  return {
    'app.info': async (_input, door): Promise<AppInfo> => ({
      version: appVersion(),
      platform: `${platform} ${os.arch()}`,
      stateDir: paths.stateDir,
      logDir: paths.logDir,
      door,
      nix: nixInUseView(await deps.nix.resolve()),
      hostTools: await hostToolsView(deps.tools, deps.profile()),
      settingsNotices: [...deps.settingsNotices()],
    }),
    'diagnostics.create': async (input) => {
      const result = await createDiagnostics(deps.bundle, input.outDir);
      deps.logs.append('app', 'info', `Diagnostics bundle written to ${result.path}.`);
      return result;
    },
  };
}
