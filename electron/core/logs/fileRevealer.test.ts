import { describe, expect, it } from 'vitest';
import { systemFileRevealer } from './fileRevealer.js';

const file = '/home/u/.local/state/builder-bar/logs/app.log';

describe('systemFileRevealer', () => {
  it('selects the file with open -R on macOS', async () => {
    const calls: [string, string[]][] = [];
    await systemFileRevealer({ platform: 'darwin', env: {}, run: async (command, args) => void calls.push([command, args]) }).reveal(file);
    expect(calls).toEqual([['open', ['-R', file]]]);
  });

  it('opens the folder with xdg-open on Linux when there is a display', async () => {
    const calls: [string, string[]][] = [];
    await systemFileRevealer({ platform: 'linux', env: { DISPLAY: ':0' }, run: async (command, args) => void calls.push([command, args]) }).reveal(file);
    expect(calls).toEqual([['xdg-open', ['/home/u/.local/state/builder-bar/logs']]]);
  });

  it('says where the file is when there is no display, without running anything', async () => {
    const calls: string[] = [];
    const reveal = systemFileRevealer({ platform: 'linux', env: {}, run: async (command) => void calls.push(command) }).reveal(file);
    await expect(reveal).rejects.toMatchObject({ code: 'not-supported', message: expect.stringContaining(`Could not show ${file} in a file manager: there is no display`) });
    expect(calls).toEqual([]);
  });

  it('says where the file is when the opener fails', async () => {
    const reveal = systemFileRevealer({
      platform: 'linux',
      env: { WAYLAND_DISPLAY: 'wayland-0' },
      run: async () => {
        throw Object.assign(new Error('Command failed'), { stderr: 'xdg-open: no method available for opening\n' });
      },
    }).reveal(file);
    await expect(reveal).rejects.toThrow(`Could not show ${file} in a file manager: xdg-open failed (xdg-open: no method available for opening).`);
  });

  it('really runs the opener through execa and reports a missing one with the path', async () => {
    // This machine has no display server; pretend one so the real command is attempted.
    const reveal = systemFileRevealer({ platform: 'linux', env: { DISPLAY: ':99' } }).reveal('/tmp/definitely-not-a-log-dir-bb/app.log');
    await expect(reveal).rejects.toThrow('Could not show /tmp/definitely-not-a-log-dir-bb/app.log in a file manager: xdg-open failed');
  });
});
