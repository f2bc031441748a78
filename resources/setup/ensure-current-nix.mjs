#!/usr/bin/env node
// A current Nix for the tests, from Debian's own packages, beside the host's Debian Nix (2.8).
//
//   node resources/setup/ensure-current-nix.mjs [--suite sid|trixie] [--mirror URL] [--refresh] [--verbose]
//
// Prints one line on stdout: the directory of `nix`, `nix-build`, `nix-store`, `nix-daemon`, ...
// wrappers that run the newest `nix-bin` Debian offers inside a Debian root of its own (its own
// /nix store, apart from the host's). Progress and errors go to stderr. `npm test` runs it after
// ensure-host-tools.mjs; tests find the result through `current.json` (below) and
// electron/core/nix/testing/nixVersions.ts. Linux only: elsewhere it says so and prints nothing.
//
// What it does:
// - Asks Debian which nix-bin sid (unstable) and trixie (stable) have, with apt given its own
//   sources, lists, cache and status (under the cache dir), so the host's apt state is untouched.
//   The answer is kept for 6 hours (--refresh asks again). --suite takes only that suite;
//   --mirror (or $BUILDER_BAR_DEBIAN_MIRROR) another Debian mirror; --verbose shows every line
//   of debootstrap and apt.
// - Uses the cached root of the newest version if one is complete; otherwise makes it:
//   `debootstrap --variant=minbase SUITE`, then inside it (bubblewrap) `apt-get install
//   --no-install-recommends nix-bin openssh-client` (sid's Release may be past its Valid-Until
//   date, so apt inside is told not to check it). When sid cannot be made, trixie's is used (and
//   the same sid version is not tried again for a day). Made in `.build-*` and renamed into place
//   after its completion stamp (`complete.json`) is written, so a killed run leaves nothing that
//   looks usable; the next run removes what it left (unmounting what debootstrap had mounted).
// - Without the network it uses the newest complete root it has. A full disk (checked before the
//   query and before a root is made, and recognised when a step fails), a missing tool, a user
//   who is not root or a step that hangs (each has a generous limit: apt hangs when the disk fills)
//   ends it with what to do, after removing what it was making; so does SIGINT/SIGTERM.
// - One run at a time per cache dir (`.lock` holds its pid; a dead holder's lock is taken over):
//   several worktrees may run `npm test` at once.
// - Writes the wrappers (resources/setup/nix-in-root.pl: why Perl, what is bound, signals), then
//   `current.json`, and keeps at most two roots (the one in use and the newest other).
//
// Cache: $BUILDER_BAR_NIX_ROOTS, else $XDG_CACHE_HOME/builder-bar/nix-roots, else
// ~/.cache/builder-bar/nix-roots; a root takes about 270 MB (sid) or 235 MB (trixie), the apt
// lists 45 MB. Made cold in about two minutes on 2 busy cores; a cached run takes 0.3 s. Not in the
// repository, because every clone and worktree on the machine shares one root (each would
// otherwise debootstrap its own), and tsc, eslint, vitest, git and electron-builder never have to
// skip a Debian tree with a /nix store in it. Not under /tmp, which is wiped at boot.
//
// Layout of the cache dir:
//   <version>/root/           the Debian root (its /nix is Nix <version>'s store)
//   <version>/bin/            the wrappers (rewritten on every run; cheap)
//   <version>/complete.json   written last: a root without it is incomplete and is remade
//   current.json              { version, label, binDir, root, suite, debianVersion } in use
//   apt/                      apt's own sources, lists and cache for the version query
//   apt/answer.json           what Debian answered, and when
//   failed-<suite>.json       a version of that suite that could not be installed, and why
//
// Making a root needs root (debootstrap, and Nix's store in it is root's), Debian's apt,
// debootstrap and bubblewrap (ensure-host-tools.mjs installs them), and about 1 GB free while it
// is made. Plain Node with no dependencies; processes via argument arrays, never a shell string.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const SUITES = ['sid', 'trixie'];
const DEFAULT_MIRROR = 'http://deb.debian.org/debian';
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
/** Peak while a root is made: the root with its downloaded packages (~550 MB) and apt's lists. */
const NEEDED_FREE_BYTES = 1024 ** 3;
/** apt's lists of two suites (~45 MB, more while they are unpacked). apt hangs on a full disk. */
const QUERY_FREE_BYTES = 150 * 1024 ** 2;
/** Hang guards for each step, not speed targets (here: query 5 s, debootstrap 90 s, install 30 s). */
const QUERY_LIMIT_MS = 5 * 60_000;
const STEP_LIMIT_MS = 20 * 60_000;
const KEEP_ROOTS = 2;
const RETRY_FAILED_AFTER_MS = 24 * 3600_000;
const LOCK_WAIT_MS = 30 * 60_000;
/** Debian's answer is asked again after this long (or with --refresh); sid's Nix moves monthly. */
const ANSWER_FRESH_MS = 6 * 3600_000;
const USAGE = 'usage: node resources/setup/ensure-current-nix.mjs [--suite sid|trixie] [--mirror URL] [--refresh] [--verbose]';

/** kind: 'usage', 'tools', 'disk', 'network', 'interrupted' or 'failed' (only the last two are worth a fallback). */
class SetupError extends Error {
  constructor(message, hint, kind = 'usage') {
    super(message);
    this.hint = hint;
    this.kind = kind;
  }
}

const log = (line) => process.stderr.write(`builder-bar setup: ${line}\n`);

function parseArgs(argv) {
  const options = { suites: SUITES, mirror: process.env.BUILDER_BAR_DEBIAN_MIRROR || DEFAULT_MIRROR, refresh: false, verbose: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = () => {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('-')) throw new SetupError(`${arg} needs a value.`, USAGE);
      i += 1;
      return next;
    };
    if (arg === '--help' || arg === '-h') {
      process.stderr.write(`${USAGE}\n`);
      process.exit(0);
    } else if (arg === '--suite') {
      const suite = value();
      if (!SUITES.includes(suite)) throw new SetupError(`unknown suite ${JSON.stringify(suite)}.`, `Use one of: ${SUITES.join(', ')}.`);
      options.suites = [suite];
    } else if (arg === '--mirror') {
      options.mirror = value();
    } else if (arg === '--refresh') {
      options.refresh = true;
    } else if (arg === '--verbose') {
      options.verbose = true;
    } else {
      throw new SetupError(`unknown argument ${JSON.stringify(arg)}.`, USAGE);
    }
  }
  if (!/^https?:\/\/[^\s]+$/.test(options.mirror)) {
    throw new SetupError(`the mirror ${JSON.stringify(options.mirror)} is not an http(s) URL.`, 'Pass --mirror http://deb.debian.org/debian or another Debian mirror.');
  }
  options.mirror = options.mirror.replace(/\/+$/, '');
  return options;
}

function cacheDir(env = process.env) {
  const own = env.BUILDER_BAR_NIX_ROOTS;
  if (own) {
    if (!path.isAbsolute(own)) throw new SetupError(`BUILDER_BAR_NIX_ROOTS must be an absolute path, not ${JSON.stringify(own)}.`, 'Set it to an absolute directory, or unset it.');
    return own;
  }
  const xdg = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(xdg, 'builder-bar', 'nix-roots');
}

// ---------------------------------------------------------------------------------------------
// Processes. Each child runs under `setpriv --pdeathsig KILL` in its own process group: if this
// script is killed the child dies with it, and on SIGINT/SIGTERM the whole group (debootstrap's
// wget and dpkg too) is stopped before what it was making is removed.

const running = new Set();
let interrupted = null;

function findTool(name) {
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin']) {
    if (!dir) continue;
    try {
      const file = path.join(dir, name);
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // Not here.
    }
  }
  return null;
}

function tool(name, pkg) {
  const found = findTool(name);
  if (!found) {
    throw new SetupError(
      `${name} is missing (Debian package ${pkg}).`,
      'Run `node resources/setup/ensure-host-tools.mjs` (as root on Debian it installs it), or `apt-get install debootstrap bubblewrap`.',
      'tools',
    );
  }
  return found;
}

/**
 * Runs argv; resolves with its exit and the tail of its output (streamed too with --verbose).
 * Past limitMs its process group is killed and `timedOut` set.
 */
function run(argv, { verbose = false, env = process.env, limitMs = STEP_LIMIT_MS } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(tool('setpriv', 'util-linux'), ['--pdeathsig', 'KILL', '--', ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env,
    });
    running.add(child);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }, limitMs);
    const lines = [];
    let partial = '';
    const take = (chunk) => {
      if (verbose) process.stderr.write(chunk);
      const text = partial + chunk.toString('utf8');
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
      if (lines.length > 400) lines.splice(0, lines.length - 400);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (error) => {
      clearTimeout(timer);
      running.delete(child);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      // Whatever it left running in its group (a killed debootstrap's dpkg, a daemon a package
      // script started) goes too.
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Nothing left.
      }
      if (partial) lines.push(partial);
      if (timedOut) lines.push(`(stopped after ${Math.round(limitMs / 60_000)} minutes without finishing)`);
      resolve({ code, signal, output: lines.join('\n'), timedOut });
    });
  });
}

function stopChildren(signal) {
  for (const child of running) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  }
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (interrupted) {
      // A second signal: stop now; the next run removes what this one leaves.
      stopChildren('SIGKILL');
      process.exit(128 + os.constants.signals[signal]);
    }
    interrupted = signal;
    log(`stopped by ${signal}; removing what this run was making…`);
    stopChildren('SIGTERM');
    setTimeout(() => stopChildren('SIGKILL'), 5_000).unref();
  });
}

function checkInterrupted() {
  if (interrupted) throw new SetupError(`stopped by ${interrupted}.`, 'Run it again; it starts over from what is complete.', 'interrupted');
}

// ---------------------------------------------------------------------------------------------
// Removing what an interrupted run left: unmount what debootstrap mounted inside (proc, sysfs,
// devpts), then remove without crossing into any other file system.

function unescapeMount(field) {
  return field.replace(/\\([0-7]{3})/g, (_, octal) => String.fromCharCode(parseInt(octal, 8)));
}

function removeTree(dir) {
  if (!fs.existsSync(dir)) return;
  const real = fs.realpathSync(dir);
  const mounts = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point) => point !== undefined)
    .map(unescapeMount)
    .filter((point) => point === real || point.startsWith(`${real}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of mounts) {
    const result = spawnSync('umount', ['--lazy', '--', point], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (result.status !== 0) {
      throw new SetupError(`cannot unmount ${point}, left mounted by an interrupted run: ${result.stderr.trim()}`, `Unmount it (umount --lazy ${point}), remove ${dir}, and run again.`, 'tools');
    }
  }
  const result = spawnSync('rm', ['-rf', '--one-file-system', '--', dir], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0 || fs.existsSync(dir)) {
    throw new SetupError(`cannot remove ${dir}: ${(result.stderr ?? '').trim()}`, `Remove it by hand (after unmounting anything inside it) and run again.`, 'tools');
  }
}

// ---------------------------------------------------------------------------------------------
// One setup at a time per cache dir (several worktrees may run `npm test` at once).

function lockHolder(lockFile) {
  let pid;
  try {
    pid = Number.parseInt(fs.readFileSync(lockFile, 'utf8'), 10);
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return null;
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('ensure-current-nix') ? pid : null;
  } catch {
    return null;
  }
}

async function takeLock(cache) {
  const lockFile = path.join(cache, '.lock');
  const started = Date.now();
  let told = false;
  for (;;) {
    try {
      fs.writeFileSync(lockFile, `${process.pid}\n`, { flag: 'wx' });
      const release = () => {
        try {
          if (fs.readFileSync(lockFile, 'utf8').trim() === String(process.pid)) fs.unlinkSync(lockFile);
        } catch {
          // Gone already.
        }
      };
      process.on('exit', release);
      return release;
    } catch (error) {
      if (error.code === 'ENOSPC') throw diskFull(cache);
      if (error.code !== 'EEXIST') throw error;
    }
    const holder = lockHolder(lockFile);
    if (holder === null) {
      fs.rmSync(lockFile, { force: true });
      continue;
    }
    if (!told) {
      log(`waiting for another setup (pid ${holder}) that is using ${cache}…`);
      told = true;
    }
    if (Date.now() - started > LOCK_WAIT_MS) {
      throw new SetupError(`another setup (pid ${holder}) has held ${lockFile} for 30 minutes.`, `If it is stuck, stop it (kill ${holder}) and run again.`, 'tools');
    }
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    checkInterrupted();
  }
}

// ---------------------------------------------------------------------------------------------
// The cache's roots.

function versionKey(version) {
  return version.split(/[.+~-]/).map((part) => (/^\d+$/.test(part) ? Number(part) : 0));
}

function newerFirst(a, b) {
  const x = versionKey(a);
  const y = versionKey(b);
  for (let i = 0; i < Math.max(x.length, y.length); i += 1) {
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (y[i] ?? 0) - (x[i] ?? 0);
  }
  return 0;
}

function readComplete(dir) {
  try {
    const stamp = JSON.parse(fs.readFileSync(path.join(dir, 'complete.json'), 'utf8'));
    return typeof stamp.version === 'string' && fs.existsSync(path.join(dir, 'root', 'usr', 'bin', 'nix')) ? stamp : null;
  } catch {
    return null;
  }
}

function completeRoots(cache) {
  return fs
    .readdirSync(cache)
    .filter((name) => /^\d/.test(name))
    .map((name) => ({ dir: path.join(cache, name), stamp: readComplete(path.join(cache, name)) }))
    .filter((entry) => entry.stamp !== null)
    .sort((a, b) => newerFirst(a.stamp.version, b.stamp.version));
}

function removeLeftovers(cache) {
  for (const name of fs.readdirSync(cache)) {
    const dir = path.join(cache, name);
    if (name.startsWith('.build-')) {
      log(`removing ${dir}, left by a run that was stopped while making it…`);
      removeTree(dir);
    } else if (/^\d/.test(name) && fs.statSync(dir).isDirectory() && readComplete(dir) === null) {
      log(`removing ${dir}: it has no completion stamp (a run was stopped while making it)…`);
      removeTree(dir);
    }
  }
}

function writeFileAtomic(file, text, mode = 0o644) {
  const temp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(temp, text, { mode });
  fs.chmodSync(temp, mode);
  fs.renameSync(temp, file);
}

// ---------------------------------------------------------------------------------------------
// Which nix-bin Debian has: apt with its own state, so the host's stays as it is.

function aptOptions(aptDir) {
  return [
    '-o', `Dir::State::Lists=${path.join(aptDir, 'lists')}`,
    '-o', `Dir::State::status=${path.join(aptDir, 'status')}`,
    '-o', `Dir::Cache=${path.join(aptDir, 'cache')}`,
    '-o', `Dir::Etc::SourceList=${path.join(aptDir, 'sources.list')}`,
    '-o', 'Dir::Etc::SourceParts=/dev/null',
    '-o', 'Dir::Etc::Preferences=/dev/null',
    '-o', 'Dir::Etc::PreferencesParts=/dev/null',
    '-o', 'Acquire::Check-Valid-Until=false',
    '-o', 'Acquire::Languages=none',
    '-o', 'Acquire::Retries=1',
    '-o', 'Acquire::http::Timeout=30',
    '-o', 'APT::Sandbox::User=root',
  ];
}

const NETWORK_TROUBLE = /Temporary failure resolving|Could not resolve|Failed to fetch|Unable to connect|Connection timed out|Network is unreachable|Connection refused|Failed getting release file|Couldn't download|Some index files failed/i;

function networkError(mirror, output) {
  const lines = output.split('\n').map((line) => line.trim()).filter(Boolean);
  const detail = lines.filter((line) => NETWORK_TROUBLE.test(line)).slice(0, 3);
  return new SetupError(
    `cannot reach Debian's mirror ${mirror}:\n    ${(detail.length > 0 ? detail : lines.slice(-3)).join('\n    ')}`,
    'Check the network (a proxy is taken from http_proxy), or pass --mirror URL of a Debian mirror you can reach; then run again. A root made earlier is used without the network.',
    'network',
  );
}

function diskFull(cache) {
  return new SetupError(
    `the disk holding ${cache} is full.`,
    `Making a root needs about ${Math.round(NEEDED_FREE_BYTES / 1024 ** 2)} MB free there: free some space, or set BUILDER_BAR_NIX_ROOTS to a directory on a disk with room; then run again.`,
    'disk',
  );
}

function checkFreeSpace(cache, needed, what) {
  const stats = fs.statfsSync(cache);
  const free = stats.bavail * stats.bsize;
  if (free < needed) {
    throw new SetupError(
      `only ${Math.round(free / 1024 ** 2)} MB free on the disk of ${cache}; ${what} needs about ${Math.round(needed / 1024 ** 2)} MB.`,
      'Free some space there, or set BUILDER_BAR_NIX_ROOTS to a directory on a disk with room; then run again.',
      'disk',
    );
  }
}

/** nix-bin's version in each suite, newest suite first; `stale` when the lists could not be refreshed. */
async function debianNixVersions(cache, options) {
  const aptDir = path.join(cache, 'apt');
  fs.mkdirSync(path.join(aptDir, 'lists', 'partial'), { recursive: true });
  fs.mkdirSync(path.join(aptDir, 'cache', 'archives', 'partial'), { recursive: true });
  if (!fs.existsSync(path.join(aptDir, 'status'))) fs.writeFileSync(path.join(aptDir, 'status'), '');
  const sources = options.suites.map((suite) => `deb [signed-by=${KEYRING}] ${options.mirror} ${suite} main\n`).join('');
  writeFileAtomic(path.join(aptDir, 'sources.list'), sources);
  const answerFile = path.join(aptDir, 'answer.json');
  try {
    const answer = JSON.parse(fs.readFileSync(answerFile, 'utf8'));
    const fresh = Date.now() - Date.parse(answer.at) < ANSWER_FRESH_MS && answer.mirror === options.mirror && answer.suites.join() === options.suites.join();
    if (fresh && !options.refresh) return answer.found;
  } catch {
    // Not asked yet.
  }
  const aptGet = tool('apt-get', 'apt');
  checkFreeSpace(cache, QUERY_FREE_BYTES, 'asking Debian for its package lists');
  log(`asking ${options.mirror} which nix-bin ${options.suites.join(' and ')} have…`);
  const update = await run([aptGet, ...aptOptions(aptDir), '-q', 'update'], { verbose: options.verbose, limitMs: QUERY_LIMIT_MS });
  checkInterrupted();
  if (/No space left on device/.test(update.output)) throw diskFull(cache);
  if (update.timedOut) {
    const stats = fs.statfsSync(cache);
    if (stats.bavail * stats.bsize < QUERY_FREE_BYTES / 2) throw diskFull(cache);
  }
  const stale = update.code !== 0 || NETWORK_TROUBLE.test(update.output);
  const madison = spawnSync(tool('apt-cache', 'apt'), [...aptOptions(aptDir), 'madison', 'nix-bin'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const found = [];
  for (const suite of options.suites) {
    for (const line of (madison.stdout ?? '').split('\n')) {
      const [pkg, debianVersion, where] = line.split('|').map((field) => field.trim());
      if (pkg !== 'nix-bin' || !debianVersion || !where) continue;
      if (!where.includes(` ${suite}/`)) continue;
      const upstream = /^(?:\d+:)?(\d+(?:\.\d+)+)/.exec(debianVersion);
      if (upstream) found.push({ suite, debianVersion, version: upstream[1] });
      break;
    }
  }
  if (found.length === 0) throw networkError(options.mirror, update.output);
  if (stale) log(`warning: could not refresh the package lists from ${options.mirror}; using what it said last time.`);
  else writeFileAtomic(answerFile, `${JSON.stringify({ at: new Date().toISOString(), mirror: options.mirror, suites: options.suites, found }, null, 2)}\n`);
  return found;
}

// ---------------------------------------------------------------------------------------------
// Making a root.

function bwrapInRoot(root, argv) {
  const env = ['PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME', '/root', 'DEBIAN_FRONTEND', 'noninteractive', 'LANG', 'C.UTF-8'];
  for (const name of ['http_proxy', 'https_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY']) {
    if (process.env[name]) env.push(name, process.env[name]);
  }
  const setenv = [];
  for (let i = 0; i < env.length; i += 2) setenv.push('--setenv', env[i], env[i + 1]);
  return [
    tool('bwrap', 'bubblewrap'), '--die-with-parent', '--bind', root, '/', '--proc', '/proc', '--dev', '/dev',
    '--ro-bind-try', '/etc/resolv.conf', '/etc/resolv.conf', '--ro-bind-try', '/etc/hosts', '/etc/hosts',
    '--clearenv', ...setenv, '--chdir', '/', '--', ...argv,
  ];
}

function failedNote(cache, suite) {
  return path.join(cache, `failed-${suite}.json`);
}

function recentFailure(cache, candidate) {
  try {
    const note = JSON.parse(fs.readFileSync(failedNote(cache, candidate.suite), 'utf8'));
    if (note.debianVersion === candidate.debianVersion && Date.now() - Date.parse(note.at) < RETRY_FAILED_AFTER_MS) return note;
  } catch {
    // No note.
  }
  return null;
}

async function step(what, argv, options, cache) {
  const result = await run(argv, { verbose: options.verbose });
  checkInterrupted();
  if (result.code === 0 && !result.timedOut) return result;
  const stats = fs.statfsSync(cache);
  if (/No space left on device/.test(result.output) || stats.bavail * stats.bsize < 16 * 1024 ** 2) throw diskFull(cache);
  if (NETWORK_TROUBLE.test(result.output)) throw networkError(options.mirror, result.output);
  const tail = result.output.split('\n').filter(Boolean).slice(-12).join('\n    ');
  throw new SetupError(`${what} failed (exit ${result.code ?? result.signal}):\n    ${tail}`, 'Run again with --verbose for the whole output.', 'failed');
}

async function makeRoot(cache, candidate, options) {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new SetupError(
      'making a Debian root for Nix needs root (debootstrap, and the store in it is root\'s).',
      'Run it as root (the Linux test rig runs as root): sudo node resources/setup/ensure-current-nix.mjs',
      'tools',
    );
  }
  const debootstrap = tool('debootstrap', 'debootstrap');
  if (!fs.existsSync(KEYRING)) {
    throw new SetupError(`Debian's archive keyring ${KEYRING} is missing.`, 'Install it: apt-get install debian-archive-keyring (ensure-host-tools.mjs does as root).', 'tools');
  }
  checkFreeSpace(cache, NEEDED_FREE_BYTES, 'making a root for Nix');
  const build = path.join(cache, `.build-${candidate.version}-${process.pid}`);
  const root = path.join(build, 'root');
  fs.mkdirSync(build);
  const started = Date.now();
  try {
    log(`making a Debian ${candidate.suite} root for Nix ${candidate.version} (debootstrap --variant=minbase, a minute or two)…`);
    await step('debootstrap', [debootstrap, '--variant=minbase', `--keyring=${KEYRING}`, candidate.suite, root, options.mirror, 'sid'], options, cache);
    log(`installing nix-bin and openssh-client in it (${Math.round((Date.now() - started) / 1000)} s so far)…`);
    const apt = ['apt-get', '-q', '-o', 'Acquire::Check-Valid-Until=false', '-o', 'Acquire::Retries=1'];
    await step('apt-get update inside the root', bwrapInRoot(root, [...apt, 'update']), options, cache);
    await step('apt-get install nix-bin openssh-client', bwrapInRoot(root, [...apt, 'install', '-y', '--no-install-recommends', 'nix-bin', 'openssh-client']), options, cache);
    await step('apt-get clean', bwrapInRoot(root, ['apt-get', 'clean']), options, cache);
    for (const name of fs.readdirSync(path.join(root, 'var', 'lib', 'apt', 'lists'))) {
      if (name !== 'partial' && name !== 'lock') fs.rmSync(path.join(root, 'var', 'lib', 'apt', 'lists', name), { recursive: true, force: true });
    }
    // Mount points the wrappers bind that a minbase root lacks (made now: a non-root bwrap could not).
    for (const dir of ['work', 'var/tmp', 'run']) fs.mkdirSync(path.join(root, dir), { recursive: true });
    const versionRun = await step('nix --version inside the root', bwrapInRoot(root, ['/usr/bin/nix', '--version']), options, cache);
    await step('ssh -V inside the root', bwrapInRoot(root, ['/usr/bin/ssh', '-V']), options, cache);
    const version = /(\d+\.\d+(?:\.\d+)?)\s*$/.exec(versionRun.output.trim())?.[1];
    if (!version) throw new SetupError(`nix --version inside the new root said ${JSON.stringify(versionRun.output.trim())}.`, 'Run again with --verbose and look at what apt installed.', 'failed');
    const installed = spawnSync('dpkg-query', ['--admindir', path.join(root, 'var', 'lib', 'dpkg'), '-W', '-f', '${Version}', 'nix-bin'], { encoding: 'utf8' }).stdout?.trim() || candidate.debianVersion;
    const stamp = { version, debianVersion: installed, suite: candidate.suite, mirror: options.mirror, madeAt: new Date().toISOString(), seconds: Math.round((Date.now() - started) / 1000) };
    // The stamp is written last: a root without it is taken for one a killed run left.
    writeFileAtomic(path.join(build, 'complete.json'), `${JSON.stringify(stamp, null, 2)}\n`);
    const final = path.join(cache, version);
    if (readComplete(final)) {
      removeTree(build);
    } else {
      if (fs.existsSync(final)) removeTree(final);
      fs.renameSync(build, final);
    }
    log(`made ${final} in ${stamp.seconds} s.`);
    return { dir: final, stamp: readComplete(final) };
  } catch (error) {
    stopChildren('SIGKILL');
    try {
      removeTree(build);
    } catch (cleanup) {
      log(`${cleanup.message}\n  ${cleanup.hint ?? ''}`);
    }
    if (error.code === 'ENOSPC') throw diskFull(cache);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// The wrappers.

function perlString(text) {
  return text.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}

function writeWrappers(dir, stamp) {
  const template = fs.readFileSync(path.join(here, 'nix-in-root.pl'), 'utf8');
  const root = path.join(dir, 'root');
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  const commands = fs.readdirSync(path.join(root, 'usr', 'bin')).filter((name) => /^nix(-[a-z-]+)?$/.test(name));
  for (const command of commands) {
    const text = template
      .replace(/^# Template of the .*\n# Debian root it makes .*\n/m, `# Written by resources/setup/ensure-current-nix.mjs from resources/setup/nix-in-root.pl.\n`)
      .replaceAll('@ROOT@', perlString(root))
      .replaceAll('@COMMAND@', perlString(command))
      .replaceAll('@VERSION@', perlString(stamp.version))
      .replaceAll('@HOST_PROGRAMS@', `'${perlString(process.execPath)}'`);
    const file = path.join(bin, command);
    let current = null;
    try {
      current = fs.readFileSync(file, 'utf8');
    } catch {
      // Not written yet.
    }
    if (current !== text) writeFileAtomic(file, text, 0o755);
  }
  for (const name of fs.readdirSync(bin)) {
    if (!commands.includes(name)) fs.rmSync(path.join(bin, name), { force: true });
  }
  return bin;
}

function checkWrapper(bin, stamp) {
  const result = spawnSync(path.join(bin, 'nix'), ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], cwd: '/', timeout: 60_000 });
  const said = (result.stdout ?? '').trim();
  if (result.status !== 0 || !said.endsWith(` ${stamp.version}`)) {
    throw new SetupError(
      `${path.join(bin, 'nix')} --version did not answer Nix ${stamp.version} (exit ${result.status ?? result.signal}): ${said || (result.stderr ?? '').trim()}`,
      `Check that bwrap, setpriv and perl work here; remove ${path.dirname(bin)} to have it made again.`,
      'tools',
    );
  }
}

function prune(cache, keep) {
  const others = completeRoots(cache).filter((entry) => entry.dir !== keep);
  for (const entry of others.slice(KEEP_ROOTS - 1)) {
    log(`removing ${entry.dir} (Nix ${entry.stamp.version}; two roots are kept)…`);
    removeTree(entry.dir);
  }
}

// ---------------------------------------------------------------------------------------------

async function choose(cache, options) {
  let candidates;
  try {
    candidates = await debianNixVersions(cache, options);
  } catch (error) {
    const cached = completeRoots(cache).filter((entry) => options.suites.includes(entry.stamp.suite));
    if (!(error instanceof SetupError) || error.kind !== 'network' || cached.length === 0) throw error;
    log(`${error.message}\n  Using the newest root made earlier: Nix ${cached[0].stamp.version} (${cached[0].stamp.suite}).`);
    return cached[0];
  }
  const failures = [];
  for (const candidate of candidates) {
    const dir = path.join(cache, candidate.version);
    const stamp = readComplete(dir);
    if (stamp) return { dir, stamp };
    const failed = recentFailure(cache, candidate);
    if (failed) {
      log(`${candidate.suite}'s nix-bin ${candidate.debianVersion} failed to install at ${failed.at} (${String(failed.reason).split('\n')[0]}); not trying again before a day has passed (remove ${failedNote(cache, candidate.suite)} to try now).`);
      failures.push(`${candidate.suite}: ${failed.reason}`);
      continue;
    }
    try {
      const made = await makeRoot(cache, candidate, options);
      fs.rmSync(failedNote(cache, candidate.suite), { force: true });
      return made;
    } catch (error) {
      if (!(error instanceof SetupError) || (error.kind !== 'failed' && error.kind !== 'network')) throw error;
      if (error.kind === 'failed') {
        writeFileAtomic(failedNote(cache, candidate.suite), `${JSON.stringify({ debianVersion: candidate.debianVersion, at: new Date().toISOString(), reason: error.message }, null, 2)}\n`);
      }
      failures.push(`${candidate.suite}: ${error.message}`);
      const next = candidates[candidates.indexOf(candidate) + 1];
      if (next) log(`${error.message}\n  Falling back to ${next.suite}'s Nix ${next.version}.`);
    }
  }
  const cached = completeRoots(cache).filter((entry) => options.suites.includes(entry.stamp.suite));
  if (cached.length > 0) {
    log(`no newer root could be made; using Nix ${cached[0].stamp.version} made earlier.`);
    return cached[0];
  }
  throw new SetupError(`no Nix root could be made:\n  ${failures.join('\n  ')}`, 'See the reasons above; run again with --verbose for the whole output.', 'failed');
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (process.platform !== 'linux') {
    log('a current Nix in a Debian root is made on Linux only; the tests use the Nix on PATH here.');
    return;
  }
  for (const [name, pkg] of [['bwrap', 'bubblewrap'], ['setpriv', 'util-linux'], ['perl', 'perl-base']]) tool(name, pkg);
  const cache = cacheDir();
  try {
    fs.mkdirSync(cache, { recursive: true });
  } catch (error) {
    if (error.code === 'ENOSPC') throw diskFull(cache);
    throw new SetupError(`cannot make ${cache}: ${error.message}`, 'Set BUILDER_BAR_NIX_ROOTS to a directory you can write.', 'tools');
  }
  const release = await takeLock(cache);
  try {
    removeLeftovers(cache);
    const chosen = await choose(cache, options);
    const bin = writeWrappers(chosen.dir, chosen.stamp);
    checkWrapper(bin, chosen.stamp);
    const current = {
      version: chosen.stamp.version,
      label: `Nix ${chosen.stamp.version}`,
      binDir: bin,
      root: path.join(chosen.dir, 'root'),
      suite: chosen.stamp.suite,
      debianVersion: chosen.stamp.debianVersion,
    };
    writeFileAtomic(path.join(cache, 'current.json'), `${JSON.stringify(current, null, 2)}\n`);
    prune(cache, chosen.dir);
    log(`Nix ${current.version} (Debian ${current.suite}, nix-bin ${current.debianVersion}): ${bin}`);
    process.stdout.write(`${bin}\n`);
  } finally {
    release();
  }
}

main().catch((error) => {
  stopChildren('SIGKILL');
  if (error instanceof SetupError) {
    log(`${error.message}\n  ${error.hint}`);
  } else if (error && error.code === 'ENOSPC') {
    log(`the disk is full (${error.message}).\n  Free some space, or set BUILDER_BAR_NIX_ROOTS to a directory on a disk with room; then run again.`);
  } else {
    log(`failed: ${error?.stack ?? error}`);
  }
  process.exit(interrupted ? 128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[interrupted] ?? 0) : 1);
});
