import { execa } from 'execa';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GUEST_BUILD_DIRS_COMMAND, parseGuestBuildDirs } from './guestBuildDirs.js';

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

  it('lists build dirs whose processes the login may not see (the daemon\'s, for user builder) without pids', () => {
    const stdout = [
      '- /tmp/nix-build-someone-elses-build.drv-0',
      '- /tmp/nix-build-hello-2.12.1.drv-0',
      '812 /tmp/nix-build-hello-2.12.1.drv-0',
      '',
    ].join('\n');
    expect(parseGuestBuildDirs(stdout)).toEqual([
      { name: 'hello-2.12.1', directory: '/tmp/nix-build-hello-2.12.1.drv-0', pids: [812] },
      { name: 'someone-elses-build', directory: '/tmp/nix-build-someone-elses-build.drv-0', pids: [] },
    ]);
  });

  it('runs in a shell: dirs from /tmp, pids only where readlink may read a process\'s cwd', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'guest-build-dirs-'));
    try {
      await mkdir(path.join(dir, 'nix-build-probe.drv-0'));
      await writeFile(path.join(dir, 'nix-build-not-a-dir.drv-1'), '');
      const sleeper = execa('sleep', ['30'], { cwd: path.join(dir, 'nix-build-probe.drv-0'), reject: false });
      try {
        const result = await execa('/bin/sh', ['-c', GUEST_BUILD_DIRS_COMMAND.replaceAll('/tmp/nix-build-', `${dir}/nix-build-`)]);
        expect(result.stdout.split('\n')).toEqual([`- ${dir}/nix-build-probe.drv-0`, `${sleeper.pid} ${dir}/nix-build-probe.drv-0`]);
      } finally {
        sleeper.kill();
        await sleeper;
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('finds nothing when nothing builds', () => {
    expect(parseGuestBuildDirs('')).toEqual([]);
  });
});
