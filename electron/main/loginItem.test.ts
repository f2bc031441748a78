/**
 * When the login item is registered and removed, against a fake standing for macOS's login
 * items (Electron's runtime and macOS do not run here): it follows the setting, touches the
 * system only on a difference, says when it put back an item removed in System Settings, and a
 * refusal is logged, not thrown.
 */
import { describe, expect, it } from 'vitest';
import { electronLoginItem, loginItemFollower, type LoginItem } from './loginItem.js';

function fakeSystem(initially: boolean): LoginItem & { calls: boolean[]; refuse: boolean } {
  let on = initially;
  const system = {
    calls: [] as boolean[],
    refuse: false,
    isOn: () => on,
    set(next: boolean) {
      system.calls.push(next);
      if (system.refuse) throw new Error('The operation could not be completed (SMAppService error 1)');
      on = next;
    },
  };
  return system;
}

describe('Open at Login', () => {
  it('leaves the system alone while it agrees with the setting (off by default)', () => {
    const system = fakeSystem(false);
    const logs: string[] = [];
    const follow = loginItemFollower(system, (_level, text) => logs.push(text));
    follow({ openAtLogin: false });
    follow({ openAtLogin: false });
    expect(system.calls).toEqual([]);
    expect(logs).toEqual([]);
  });

  it('registers when turned on and removes when turned off, saying so', () => {
    const system = fakeSystem(false);
    const logs: Array<[string, string]> = [];
    const follow = loginItemFollower(system, (level, text) => logs.push([level, text]));
    follow({ openAtLogin: false });
    follow({ openAtLogin: true });
    follow({ openAtLogin: true });
    follow({ openAtLogin: false });
    expect(system.calls).toEqual([true, false]);
    expect(logs).toEqual([
      ['info', 'Registered Builder Bar as a login item: it opens when you log in.'],
      ['info', "Removed Builder Bar's login item: it no longer opens when you log in."],
    ]);
  });

  it('puts back at launch a login item removed in System Settings while the setting is on, and says how to keep it off', () => {
    const system = fakeSystem(false);
    const logs: Array<[string, string]> = [];
    loginItemFollower(system, (level, text) => logs.push([level, text]))({ openAtLogin: true });
    expect(system.isOn()).toBe(true);
    expect(logs).toEqual([['warn', expect.stringContaining('registered it again. Turn it off in Builder Bar to keep it off.')]]);
  });

  it('logs a refusal from macOS instead of throwing', () => {
    const system = fakeSystem(false);
    system.refuse = true;
    const logs: Array<[string, string]> = [];
    expect(() => loginItemFollower(system, (level, text) => logs.push([level, text]))({ openAtLogin: true })).not.toThrow();
    expect(logs).toEqual([['warn', 'Could not register the login item: The operation could not be completed (SMAppService error 1)']]);
  });

  it("the Electron adapter reads and writes Electron's openAtLogin", () => {
    const written: unknown[] = [];
    const item = electronLoginItem({
      getLoginItemSettings: () => ({ openAtLogin: true }) as ReturnType<Electron.App['getLoginItemSettings']>,
      setLoginItemSettings: (settings) => {
        written.push(settings);
      },
    });
    expect(item.isOn()).toBe(true);
    item.set(false);
    expect(written).toEqual([{ openAtLogin: false }]);
  });
});
