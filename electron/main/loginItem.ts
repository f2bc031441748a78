/**
 * Open at Login: the one macOS facility behind it (a login item, Electron's
 * `app.setLoginItemSettings`) sits behind this small interface, so the rule of when to register
 * and unregister is tested with a fake, and the Electron adapter is three lines.
 *
 * The `openAtLogin` setting is what the user asked for, through Settings, the tray or
 * `builder-bar settings set openAtLogin=true`; the shell makes the system agree with it when it
 * starts and after every saved change. A login item removed in System Settings is added again at
 * the next launch while the setting is on: the app says so in its log, and turning it off in
 * Builder Bar (or the tray) is what keeps it off.
 */
import type { App } from 'electron';

export interface LoginItem {
  /** Whether macOS will open this app at login. */
  isOn(): boolean;
  /** Registers (true) or removes (false) the app as a login item. */
  set(on: boolean): void;
}

/** The Electron adapter: macOS's login items through Electron's own API. */
export function electronLoginItem(app: Pick<App, 'getLoginItemSettings' | 'setLoginItemSettings'>): LoginItem {
  return {
    isOn: () => app.getLoginItemSettings().openAtLogin,
    set: (on) => app.setLoginItemSettings({ openAtLogin: on }),
  };
}

export type LoginItemLog = (level: 'info' | 'warn', text: string) => void;

/**
 * Makes the login item follow the setting: called with each settings value the shell sees (the
 * first at start, then every `settings` event). It touches the system only when the two differ,
 * and a failure (macOS refusing, the app not in /Applications) is logged, never thrown: the
 * menu and the core must keep working.
 */
export function loginItemFollower(item: LoginItem, log: LoginItemLog): (settings: { openAtLogin: boolean }) => void {
  let first = true;
  return ({ openAtLogin }) => {
    const start = first;
    first = false;
    try {
      const current = item.isOn();
      if (current === openAtLogin) return;
      item.set(openAtLogin);
      if (start && openAtLogin) log('warn', 'Open at Login is on in Builder Bar\'s settings but macOS had no login item for it (removed in System Settings?): registered it again. Turn it off in Builder Bar to keep it off.');
      else log('info', openAtLogin ? 'Registered Builder Bar as a login item: it opens when you log in.' : 'Removed Builder Bar\'s login item: it no longer opens when you log in.');
    } catch (error) {
      log('warn', `Could not ${openAtLogin ? 'register' : 'remove'} the login item: ${(error as Error).message}`);
    }
  };
}
