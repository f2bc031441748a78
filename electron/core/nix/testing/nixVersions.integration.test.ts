/**
 * Every Nix the tests can run on (nixVersions.ts) really is the version its label names and
 * behaves as a Nix does when run directly: it builds offline in a conf dir the test owns, its
 * nix-daemon serves a client on a socket the test chooses and stops when told, a SIGINT reaches
 * the build it runs, exit codes and stdin pass through. The current Nix runs inside its own
 * Debian root through wrappers (resources/setup/nix-in-root.pl); these tests are what shows
 * the wrappers are transparent.
 */
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostPathOf, nixVersions, type TestNix } from './nixVersions.js';

const versions = nixVersions();

describe('the Nix versions for tests', () => {
  it.runIf(process.platform === 'linux')('are the host Nix and a current Nix from its own Debian root', () => {
    const current = versions.find((nix) => nix.root !== null);
    expect(current, 'no current Nix: run `node resources/setup/ensure-current-nix.mjs` (npm test does)').toBeDefined();
    expect(versions.find((nix) => nix.root === null), 'no Nix on PATH').toBeDefined();
    expect(versions.map((nix) => nix.label)).toEqual([...new Set(versions.map((nix) => nix.label))]);
  });
});

/** A derivation whose name and output carry the evaluating Nix's own idea of its version. */
const trivialNix = `{ nonce }: derivation {
  name = "trivial-\${nonce}-\${builtins.nixVersion}";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" "echo \${builtins.nixVersion} > $out" ];
}
`;

/** A build that runs until it is stopped, writing its builder's pid first. */
const sleepingNix = `{ nonce, pidFile }: derivation {
  name = "sleeping-\${nonce}";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" "echo $$ > \${pidFile}; exec /bin/sleep 600" ];
}
`;

function alive(pid: number): boolean {
  try {
    // A zombie nobody reaps (this container's pid 1 does not) has stopped running all the same.
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, limitMs = 60_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > limitMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A hang guard, not a speed target: a process that ignores a signal keeps its pipes open forever. */
async function ended<T>(what: string, promise: Promise<T>, limitMs = 60_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} had not ended ${limitMs / 1000} s later`)), limitMs);
  });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

describe.each(versions)('$label', (nix: TestNix) => {
  let dir: string;
  let env: Record<string, string>;
  const bin = (name: string) => path.join(nix.binDir, name);
  const nonce = () => randomBytes(6).toString('hex');

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bb-nix-versions-'));
    const confDir = path.join(dir, 'nix-conf');
    await fs.mkdir(confDir);
    // Offline and without build users or a sandbox (FACTS.md sections 2 and 4).
    await fs.writeFile(path.join(confDir, 'nix.conf'), 'substituters =\nsandbox = false\nbuild-users-group =\n');
    await fs.writeFile(path.join(dir, 'trivial.nix'), trivialNix);
    await fs.writeFile(path.join(dir, 'sleeping.nix'), sleepingNix);
    env = { NIX_CONF_DIR: confDir, XDG_CACHE_HOME: path.join(dir, 'xdg-cache') };
  });

  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('realises a derivation offline from a relative path in a conf dir the test owns, evaluated by the Nix its label names', async () => {
    const id = nonce();
    const built = await execa(bin('nix-build'), ['--no-out-link', './trivial.nix', '--argstr', 'nonce', id], { cwd: dir, env, stdin: 'ignore' });
    const out = built.stdout.trim();
    expect(out).toMatch(new RegExp(`^/nix/store/[a-z0-9]{32}-trivial-${id}-${nix.version.replaceAll('.', '\\.')}$`));
    expect(readFileSync(hostPathOf(nix, out), 'utf8')).toBe(`${nix.version}\n`);
    // A current Nix builds into its own root's store, never into the host's.
    if (nix.root !== null) expect(existsSync(out)).toBe(false);
  });

  it('reads a file of this checkout by its absolute path from another directory, wherever the checkout lives', async () => {
    // CI checks out under /check/...; the app passes Nix absolute paths of its resources while
    // running in its state dir. A wrapper that bound only a fixed list of host dirs lost them.
    const file = path.resolve('package.json');
    const read = await execa(bin('nix-instantiate'), ['--eval', '-E', `(builtins.fromJSON (builtins.readFile ${file})).name`], { cwd: dir, env, stdin: 'ignore' });
    expect(read.stdout.trim()).toBe(JSON.stringify(JSON.parse(readFileSync(file, 'utf8')).name));
  });

  it('runs this machine\'s node by its own path, as the on-demand ProxyCommand names it', async () => {
    // A root of its own has no node; its wrapper binds the host's at the same path.
    const id = nonce();
    const script = 'require("fs").writeFileSync(process.env.out, process.version)';
    await fs.writeFile(path.join(dir, 'node.nix'), `derivation { name = "node-${id}"; system = builtins.currentSystem; builder = ${JSON.stringify(process.execPath)}; args = [ "-e" ${JSON.stringify(script)} ]; }\n`);
    const built = await execa(bin('nix-build'), ['--no-out-link', 'node.nix'], { cwd: dir, env, stdin: 'ignore' });
    expect(readFileSync(hostPathOf(nix, built.stdout.trim()), 'utf8')).toBe(process.version);
  });

  it('passes stdin in and exit codes back as Nix gives them', async () => {
    const sum = await execa(bin('nix-instantiate'), ['--eval', '-'], { cwd: dir, env, input: '20 + 22' });
    expect(sum.stdout.trim()).toBe('42');
    const thrown = await execa(bin('nix-instantiate'), ['--eval', '-E', 'throw "no such thing"'], { cwd: dir, env, stdin: 'ignore', reject: false });
    expect(thrown.exitCode).toBe(1);
    expect(thrown.stderr).toContain('no such thing');
    await fs.writeFile(path.join(dir, 'failing.nix'), `derivation { name = "failing-${nonce()}"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" "exit 3" ]; }\n`);
    const failed = await execa(bin('nix-build'), ['--no-out-link', 'failing.nix'], { cwd: dir, env, stdin: 'ignore', reject: false });
    expect(failed.exitCode).toBe(100);
  });

  it('stops the build it runs when it gets a SIGINT, as a cancel sends', async () => {
    const pidFile = path.join(dir, 'builder.pid');
    const build = execa(bin('nix-build'), ['--no-out-link', 'sleeping.nix', '--argstr', 'nonce', nonce(), '--argstr', 'pidFile', pidFile], {
      cwd: dir,
      env,
      stdin: 'ignore',
      reject: false,
    });
    const builder = await until('the builder to start', () => {
      const text = existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim() : '';
      return text ? Number(text) : undefined;
    });
    build.kill('SIGINT');
    const result = await ended('nix-build after SIGINT', build);
    expect(result.stderr).toContain('interrupted by the user');
    expect(result.exitCode).toBe(1);
    await until('the builder to stop', () => (alive(builder) ? undefined : true), 10_000);
  });

  it('serves a client through its nix-daemon on a socket the test chooses, and stops on SIGTERM', async () => {
    const socket = path.join(dir, 'daemon', 'socket');
    await fs.mkdir(path.dirname(socket));
    const daemonEnv = { ...env, NIX_DAEMON_SOCKET_PATH: socket };
    const daemon = execa(bin('nix-daemon'), [], { cwd: dir, env: daemonEnv, stdin: 'ignore', reject: false });
    try {
      await until('the daemon socket', () => (existsSync(socket) ? true : undefined));
      const clientEnv = { ...daemonEnv, NIX_REMOTE: 'daemon' };
      const id = nonce();
      const built = await execa(bin('nix-build'), ['--no-out-link', 'trivial.nix', '--argstr', 'nonce', id], { cwd: dir, env: clientEnv, stdin: 'ignore' });
      expect(built.stdout.trim()).toMatch(new RegExp(`-trivial-${id}-${nix.version.replaceAll('.', '\\.')}$`));
      daemon.kill('SIGTERM');
      const stopped = await ended('nix-daemon after SIGTERM', daemon);
      expect(stopped.stderr).toContain('accepted connection');
      // Nobody answers on the socket any more (a daemon left running would still build).
      const after = await execa(bin('nix-store'), ['--query', '--hash', built.stdout.trim()], { cwd: dir, env: clientEnv, stdin: 'ignore', reject: false });
      expect(after.exitCode).not.toBe(0);
    } finally {
      daemon.kill('SIGKILL');
    }
  });
});
