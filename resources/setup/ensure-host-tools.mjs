#!/usr/bin/env node
// First step of `npm start` and `npm test` on a fresh machine: install the npm dependencies if
// they are missing, then make sure the host tools the Linux test builder needs are present
// (for `--for test` also Chromium, debootstrap and bubblewrap for ensure-current-nix.mjs, and
// OpenBSD's nc for the system log socket's tests).
// As root on Debian it installs the missing packages itself; anywhere else it prints the one
// command that would. Plain Node with no dependencies (it runs before `npm ci`), so it uses
// node:child_process with argument arrays rather than execa; never a shell string.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const purpose = process.argv.includes('--for') ? process.argv[process.argv.indexOf('--for') + 1] : 'test';

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root, ...options });
  if (result.status !== 0) {
    console.error(`builder-bar setup: \`${[command, ...args].join(' ')}\` failed (exit ${result.status ?? result.signal}).`);
    process.exit(1);
  }
}

function onPath(name) {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && existsSync(path.join(dir, name)));
}

if (!existsSync(path.join(root, 'node_modules', '.package-lock.json'))) {
  console.log('builder-bar setup: installing npm dependencies (npm ci)…');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

// npm 11 runs no install scripts it was not told to trust, so Electron's postinstall (the
// runtime download) has not run. On a Mac, where the app is the point, fetch the runtime now;
// elsewhere `start-app` says why it runs the headless door instead.
if (purpose === 'start' && process.platform === 'darwin' && !existsSync(path.join(root, 'node_modules', 'electron', 'path.txt'))) {
  console.log('builder-bar setup: downloading the Electron runtime (node_modules/electron/install.js)…');
  run(process.execPath, [path.join(root, 'node_modules', 'electron', 'install.js')]);
}

// What the linux-test guest and the tests need, and the Debian package that brings each.
const needs = [
  { ok: () => onPath('qemu-system-x86_64'), pkg: 'qemu-system-x86', what: 'QEMU' },
  { ok: () => onPath('qemu-img'), pkg: 'qemu-utils', what: 'qemu-img' },
  { ok: () => existsSync('/bin/busybox') || existsSync('/usr/bin/busybox'), pkg: 'busybox-static', what: 'busybox' },
  // The guest's sshd is copied from this package; the host never runs it (see below).
  { ok: () => existsSync('/usr/sbin/sshd'), pkg: 'openssh-server', what: "OpenSSH's server (copied into the guest)" },
  { ok: () => onPath('nix-store'), pkg: 'nix-bin', what: 'Nix' },
  { ok: () => existsSync('/boot') && readdirSync('/boot').some((f) => f.startsWith('vmlinuz-')), pkg: 'linux-image-amd64', what: 'a Linux kernel for the guest' },
  { ok: () => onPath('ssh') && onPath('ssh-keygen'), pkg: 'openssh-client', what: 'OpenSSH client' },
  { ok: () => onPath('cpio'), pkg: 'cpio', what: 'cpio' },
  { ok: () => onPath('git'), pkg: 'git', what: 'git' },
];
if (purpose === 'test') {
  needs.push({ ok: () => existsSync('/usr/bin/chromium'), pkg: 'chromium', what: 'Chromium for the UI tests' });
  // ensure-current-nix.mjs: a current Nix from Debian's packages in a root of its own, run with
  // bubblewrap (it runs after this script in `npm test`).
  needs.push(
    { ok: () => onPath('debootstrap') || existsSync('/usr/sbin/debootstrap'), pkg: 'debootstrap', what: 'debootstrap' },
    { ok: () => onPath('bwrap'), pkg: 'bubblewrap', what: 'bubblewrap' },
    { ok: () => existsSync('/usr/share/keyrings/debian-archive-keyring.gpg'), pkg: 'debian-archive-keyring', what: "Debian's archive keyring" },
  );
  // The system log socket's relay as the tests' fake launchd runs it (electron/core/nix/systemLogSocket.ts):
  // OpenBSD's nc, which connects to a unix socket with -U; a Mac has its own /usr/bin/nc.
  needs.push({ ok: () => existsSync('/bin/nc.openbsd'), pkg: 'netcat-openbsd', what: "OpenBSD's nc" });
  // The accelerator probe's aarch64 guest (a Mac with Apple silicon runs it under hvf) is booted
  // under TCG by electron/core/vm/accelerator.integration.test.ts.
  needs.push({ ok: () => onPath('qemu-system-aarch64'), pkg: 'qemu-system-arm', what: 'QEMU for aarch64' });
}

/**
 * Runs an install with Debian's policy-rc.d hook answering 101 ("action forbidden"), which
 * invoke-rc.d and deb-systemd-invoke obey: openssh-server is installed for its sshd binary
 * only, and its postinst must not start an ssh server on the host. A hook already in place is
 * someone else's (a container image's) and is left as it is.
 */
function withoutServiceStarts(install) {
  const hook = '/usr/sbin/policy-rc.d';
  if (existsSync(hook)) {
    install();
    return;
  }
  writeFileSync(hook, '#!/bin/sh\n# builder-bar setup: no service starts while it installs packages\nexit 101\n');
  chmodSync(hook, 0o755);
  // run() ends the process on a failed install, which skips `finally`: the exit hook removes it then.
  const remove = () => rmSync(hook, { force: true });
  process.once('exit', remove);
  try {
    install();
  } finally {
    process.off('exit', remove);
    remove();
  }
}

if (process.platform === 'linux') {
  const missing = needs.filter((need) => !need.ok());
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((need) => need.pkg))];
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    if (isRoot && existsSync('/etc/debian_version')) {
      console.log(`builder-bar setup: installing ${pkgs.join(' ')} (missing: ${missing.map((m) => m.what).join(', ')})…`);
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      run('apt-get', ['update', '-q'], { env });
      withoutServiceStarts(() => run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...pkgs], { env }));
      // The package also enables ssh.service for the next boot; Debian's unit and init script
      // do not start sshd while this file exists. Only when this run brought the server in: an
      // ssh server someone installed on purpose is theirs.
      if (pkgs.includes('openssh-server')) {
        writeFileSync('/etc/ssh/sshd_not_to_be_run', 'Installed by Builder Bar setup for the guest image only; delete this file to run an ssh server on this machine.\n');
      }
    } else {
      console.error(`builder-bar setup: missing ${missing.map((m) => m.what).join(', ')}. On Debian: sudo apt-get install ${pkgs.join(' ')}`);
      process.exit(1);
    }
  }
}
