/** Which launches of the app's binary are `builder-bar` calls, and which start the app. */
import { describe, expect, it } from 'vitest';
import { cliArguments } from './cliMode.js';

const packaged = { defaultApp: false };
const exe = '/Applications/Builder Bar.app/Contents/MacOS/Builder Bar';

describe('the app binary as the CLI', () => {
  it('takes a command or a global option as a CLI call, with every argument as given', () => {
    expect(cliArguments([exe, 'status', '--json'], packaged)).toEqual(['status', '--json']);
    expect(cliArguments([exe, 'settings', 'set', 'openAtLogin=true'], packaged)).toEqual(['settings', 'set', 'openAtLogin=true']);
    expect(cliArguments([exe, '--help'], packaged)).toEqual(['--help']);
    expect(cliArguments([exe, '--version'], packaged)).toEqual(['--version']);
    expect(cliArguments([exe, '--state-dir', '/tmp/x', 'status'], packaged)).toEqual(['--state-dir', '/tmp/x', 'status']);
    expect(cliArguments([exe, '--state-dir=/tmp/x', 'stop'], packaged)).toEqual(['--state-dir=/tmp/x', 'stop']);
    // The on-demand ProxyCommand of a packaged app (core/nix/proxyCommandLine.ts) is a CLI call.
    expect(cliArguments([exe, '--state-dir=/Users/ann/Library/Application Support/Builder Bar', 'proxy', '--uid', '501'], packaged)).toEqual([
      '--state-dir=/Users/ann/Library/Application Support/Builder Bar', 'proxy', '--uid', '501',
    ]);
    // A mistyped command is the CLI's to refuse (usage error, exit 2), as from `builder-bar`.
    expect(cliArguments([exe, 'statuz'], packaged)).toEqual(['statuz']);
  });

  it('starts the app for a launch from Finder, Chromium switches or anything else', () => {
    expect(cliArguments([exe], packaged)).toBeNull();
    expect(cliArguments([exe, '-psn_0_1234567'], packaged)).toBeNull();
    expect(cliArguments([exe, '--remote-debugging-port=0'], packaged)).toBeNull();
  });

  it('skips the app path of `electron .` in development', () => {
    expect(cliArguments(['/x/electron', '/repo', 'status'], { defaultApp: true })).toEqual(['status']);
    expect(cliArguments(['/x/electron', '/repo'], { defaultApp: true })).toBeNull();
  });
});
