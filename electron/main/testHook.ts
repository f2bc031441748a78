/**
 * A window into the shell's state for the Electron smoke test (e2e/electron/smoke.spec.ts),
 * which reads it with `electronApp.evaluate(() => globalThis.__builderBarShell...)`. Installed
 * only when BUILDER_BAR_TEST_HOOKS=1, so a user's app exposes nothing extra.
 */
import type { VmState } from '../ipc/contract.js';
import type { TrayAction } from './menuModel.js';
import type { WindowKind } from './windowOptions.js';

export const TEST_HOOK_ENV = 'BUILDER_BAR_TEST_HOOKS';
export const TEST_HOOK_GLOBAL = '__builderBarShell';

export interface ShellTestHook {
  trayCreated(): boolean;
  trayState(): VmState | null;
  menuLabels(): string[];
  /** Runs a tray action through the same handler as a menu click. */
  runTrayAction(action: TrayAction): Promise<void>;
  openWindows(): WindowKind[];
  dockVisible(): boolean | null;
}

/** Returns whether the hook was installed. */
export function installTestHook(env: NodeJS.ProcessEnv, target: object, hook: ShellTestHook): boolean {
  if (env[TEST_HOOK_ENV] !== '1') return false;
  Object.defineProperty(target, TEST_HOOK_GLOBAL, { value: Object.freeze(hook), configurable: false, enumerable: false });
  return true;
}
