import { describe, expect, it } from 'vitest';
import { installTestHook, TEST_HOOK_GLOBAL, type ShellTestHook } from './testHook.js';

const hook: ShellTestHook = {
  trayCreated: () => true,
  trayState: () => 'stopped',
  menuLabels: () => [],
  runTrayAction: async () => undefined,
  openWindows: () => [],
  dockVisible: () => null,
};

describe('installTestHook', () => {
  it('exposes nothing in a normal run', () => {
    const target = {};
    expect(installTestHook({}, target, hook)).toBe(false);
    expect(installTestHook({ BUILDER_BAR_TEST_HOOKS: 'true' }, target, hook)).toBe(false);
    expect(TEST_HOOK_GLOBAL in target).toBe(false);
  });

  it('exposes the hook, read-only, when BUILDER_BAR_TEST_HOOKS=1', () => {
    const target: Record<string, unknown> = {};
    expect(installTestHook({ BUILDER_BAR_TEST_HOOKS: '1' }, target, hook)).toBe(true);
    const installed = target[TEST_HOOK_GLOBAL] as ShellTestHook;
    expect(installed.trayState()).toBe('stopped');
    expect(Object.isFrozen(installed)).toBe(true);
    expect(() => {
      target[TEST_HOOK_GLOBAL] = {};
    }).toThrow();
  });
});
