import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GuestShell, type ShellChannel } from './guestShell.js';

// Local shells stand in for the guest's: the same bytes go to them as over the ssh channel. Our
// guest's `sh` is busybox's, nixpkgs' builder's is bash; dash is Debian's /bin/sh.
const available = (argv: string[]): boolean => spawnSync(argv[0]!, [...argv.slice(1), '-c', 'true']).status === 0;
const shellsToTry = [['sh'], ['bash'], ['busybox', 'sh']].filter(available);

let opened = 0;
let argv = ['sh'];
const shells: GuestShell[] = [];
function spawnChannel(): ShellChannel {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.on('error', () => undefined); // a write to a shell that just ended
  return {
    write: (text) => void child.stdin.write(text),
    onStdout: (listener) => void child.stdout.on('data', listener),
    onStderr: (listener) => void child.stderr.on('data', listener),
    onClose: (listener) => void child.once('exit', listener),
    // As sshd does when the channel closes: the shell reads the end of its input.
    close: () => void child.stdin.end(),
  };
}

function localShell(): GuestShell {
  const shell = new GuestShell(async () => {
    opened += 1;
    return spawnChannel();
  });
  shells.push(shell);
  return shell;
}

afterEach(() => {
  for (const shell of shells.splice(0)) shell.close();
  opened = 0;
});

describe.each(shellsToTry.map((shellArgv) => [shellArgv.join(' '), shellArgv] as const))('GuestShell on %s', (_name, shellArgv) => {
  beforeEach(() => {
    argv = shellArgv;
  });

  it('runs commands one after another in one shell, each with its own output, errors and status', async () => {
    const shell = localShell();
    const [first, second, third] = await Promise.all([
      shell.run('echo one; echo two'),
      shell.run('echo oops >&2; exit 3'),
      shell.run('printf "no newline at the end"'),
    ]);
    expect(first).toEqual({ stdout: 'one\ntwo\n', stderr: '', code: 0 });
    expect(second).toEqual({ stdout: '', stderr: 'oops\n', code: 3 });
    expect(third).toEqual({ stdout: 'no newline at the end', stderr: '', code: 0 });
    expect(opened).toBe(1);
  });

  it('keeps each command apart: no variable, directory or stdin carries over, and exit ends only the command', async () => {
    const shell = localShell();
    await shell.run('x=set; cd /; exit 0');
    expect((await shell.run('echo "[$x]"; pwd')).stdout).toBe(`[]\n${process.cwd()}\n`);
    // The next command's text is not the previous one's stdin.
    expect((await shell.run('cat; echo after')).stdout).toBe('after\n');
    expect(opened).toBe(1);
  });

  it('is not fooled by output that looks like an end line', async () => {
    const shell = localShell();
    const result = await shell.run("printf '\\nbuilder-bar-end-0000-0\\n'; echo real");
    expect(result).toEqual({ stdout: '\nbuilder-bar-end-0000-0\nreal\n', stderr: '', code: 0 });
  });

  it('gives up on a command that outlives its timeout, and the next command gets a new shell', async () => {
    const shell = localShell();
    await expect(shell.run('sleep 5', { timeoutMs: 200 })).rejects.toThrow(/did not finish within 200 ms/);
    expect(await shell.run('echo again', { timeoutMs: 5_000 })).toEqual({ stdout: 'again\n', stderr: '', code: 0 });
    expect(opened).toBe(2);
  });

  it('fails the command in flight when the shell ends under it, and opens another for the next', async () => {
    const shell = localShell();
    await expect(shell.run('kill -9 $$; sleep 5')).rejects.toThrow(/ended before the command finished/);
    expect((await shell.run('echo back')).stdout).toBe('back\n');
    expect(opened).toBe(2);
  });

  it('removes the file it keeps stderr in when it ends', async () => {
    const shell = localShell();
    const file = (await shell.run('echo "$__bb_err"')).stdout.trim();
    expect(existsSync(file)).toBe(true);
    shell.close();
    await expect.poll(() => existsSync(file), { timeout: 3_000 }).toBe(false);
  });

  it('fails a command waiting for a shell that is closed before it opened, without waiting for a timeout', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let asked = false;
    let closedChannels = 0;
    const shell = new GuestShell(async () => {
      asked = true;
      await gate;
      const channel = spawnChannel();
      return { ...channel, close: () => ((closedChannels += 1), channel.close()) };
    });
    const waiting = shell.run('echo never');
    await expect.poll(() => asked).toBe(true);
    shell.close();
    release();
    await expect(waiting).rejects.toThrow(/closed/);
    expect(closedChannels).toBe(1);
  });

  it('fails commands after close', async () => {
    const shell = localShell();
    await shell.run('true');
    shell.close();
    await expect(shell.run('true')).rejects.toThrow(/closed/);
  });

  it('fails a command when the shell cannot be opened, and tries again for the next', async () => {
    let attempts = 0;
    const shell = new GuestShell(async () => {
      attempts += 1;
      throw new Error('the ssh connection to the builder is closed');
    });
    await expect(shell.run('true')).rejects.toThrow(/connection to the builder is closed/);
    await expect(shell.run('true')).rejects.toThrow(/connection to the builder is closed/);
    expect(attempts).toBe(2);
  });
});
