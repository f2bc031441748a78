import { describe, expect, it } from 'vitest';
import { parseGuestBuildDirs } from './guestBuildDirs.js';

describe('parseGuestBuildDirs', () => {
  it('groups the processes of one build directory and names the derivation', () => {
    const stdout = [
      '812 /tmp/nix-build-hello-2.12.1.drv-0',
      '815 /tmp/nix-build-hello-2.12.1.drv-0/hello-2.12.1',
      '901 /tmp/nix-build-bb-queue-probe.drv-3',
      '77 /root',
      'garbage',
      '',
    ].join('\n');
    expect(parseGuestBuildDirs(stdout)).toEqual([
      { name: 'bb-queue-probe', directory: '/tmp/nix-build-bb-queue-probe.drv-3', pids: [901] },
      { name: 'hello-2.12.1', directory: '/tmp/nix-build-hello-2.12.1.drv-0', pids: [812, 815] },
    ]);
  });

  it('finds nothing when nothing builds', () => {
    expect(parseGuestBuildDirs('')).toEqual([]);
  });
});
