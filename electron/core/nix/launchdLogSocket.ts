/**
 * The macOS implementation of the system log socket (systemLogSocket.ts): a LaunchDaemon whose
 * `Sockets` entry makes launchd listen on a socket in /private/var/run, and whose
 * `inetdCompatibility` (`Wait` false) makes it accept each connection and start the relay with
 * the connection as stdin, stdout and stderr, as the user (`UserName`). No code of ours runs as
 * root, and nothing needs launch_activate_socket. The same shape as podman's mac helper
 * (containers/podman, cmd/podman-mac-helper/install.go), which has run on users' Macs since 2022.
 *
 * - The socket sits directly in /private/var/run (/var is a link to it): launchd creates the
 *   socket file but not a missing directory, and /private/var/run exists on every Mac, owned by
 *   root (group daemon), so nothing the user runs can put a link or a file at that path.
 * - `SockPathOwner` is the user and `SockPathMode` 0600 (384): root's daemon may connect (root
 *   always may) and so may the user's own `nix` commands, which read the same /etc/nix/nix.conf.
 *   A root-owned socket would refuse them, and Nix 2.34.8 then prints `error (ignored): cannot
 *   connect to socket at '…': Permission denied` on every command (measured). Other accounts
 *   on the Mac get that line; their builds are not this user's to see.
 * - launchd exempts inetd-style jobs from its respawn throttle (open-source launchd's
 *   job_start: `!j->inetcompat`), so a burst of Nix connections each gets its relay at once.
 *
 * Installed and removed by the wiring's admin step (adminScript.ts): the plist is one more file
 * of the system layout (written byte-exact, removed only while it holds what was written),
 * `start` bootstraps it into the system domain, `stop` boots it out.
 *
 * Unverified here (Linux): launchd itself. See the README's list of facilities not run on a Mac.
 */
import { BuilderBarError } from '../errors.js';
import type { AdminLogRelay } from './adminScript.js';
import { plistDict, plistXml } from './launchdPlist.js';
import { logRelaySpecProblem, relayArguments, type LogRelayJob, type SystemLogSocketActivator, type SystemLogSocketPlan, type SystemLogSocketSpec } from './systemLogSocket.js';

export const LAUNCH_DAEMONS_DIR = '/Library/LaunchDaemons';
const LAUNCHCTL = '/bin/launchctl';

/** The job's label; one per user, so two accounts on a Mac each get their own. */
export function logRelayLabel(uid: number): string {
  return `dev.builder-bar.nix-log.${uid}`;
}

/** The plist root installs; a file of the system layout (wiringTarget.ts). */
export function logRelayJobFile(uid: number): string {
  return `${LAUNCH_DAEMONS_DIR}/${logRelayLabel(uid)}.plist`;
}

/** Where root's nix-daemon writes: the system target's json-log-path. */
export function logRelaySocketPath(uid: number): string {
  return `/private/var/run/builder-bar-nix-log-${uid}.sock`;
}

/** Root's commands for the job of `uid`; they name only the uid's label and plist. */
export function logRelayCommands(uid: number): { start: string[]; stop: string[] } {
  return {
    start: [LAUNCHCTL, 'bootstrap', 'system', logRelayJobFile(uid)],
    stop: [LAUNCHCTL, 'bootout', `system/${logRelayLabel(uid)}`],
  };
}

/** The job as the admin step handles it (adminScript.ts): its file, root's commands, its socket. */
export function adminLogRelay(uid: number): AdminLogRelay {
  return { jobFile: logRelayJobFile(uid), ...logRelayCommands(uid), socketPath: logRelaySocketPath(uid) };
}

/** The job as data, with the relay for `platform` (macOS's nc on a Mac; the tests' fake launchd runs Debian's). */
export function logRelayJob(spec: SystemLogSocketSpec, platform: NodeJS.Platform = process.platform): LogRelayJob {
  const problem = logRelaySpecProblem(spec);
  if (problem) throw new BuilderBarError('wiring-refused', `The log relay for root's nix-daemon cannot be set up: ${problem}.`, null);
  return {
    label: logRelayLabel(spec.uid),
    socketPath: logRelaySocketPath(spec.uid),
    socketOwner: spec.uid,
    socketMode: 0o600,
    userName: spec.userName,
    programArguments: relayArguments(spec.coreSocketPath, platform),
  };
}

/** The LaunchDaemon plist for a job, key by key as launchd.plist(5) names them. */
export function logRelayPlist(job: LogRelayJob): string {
  return plistXml(
    plistDict([
      ['Label', job.label],
      ['UserName', job.userName],
      ['ProgramArguments', job.programArguments],
      // launchd accepts each connection and starts the relay on it: stdin, stdout, stderr.
      ['inetdCompatibility', plistDict([['Wait', false]])],
      [
        'Sockets',
        plistDict([
          [
            'Listeners',
            plistDict([
              ['SockFamily', 'Unix'],
              ['SockType', 'stream'],
              ['SockPathName', job.socketPath],
              ['SockPathOwner', job.socketOwner],
              // launchd reads the mode as a decimal integer: 384 is 0600.
              ['SockPathMode', job.socketMode],
            ]),
          ],
        ]),
      ],
    ]),
  );
}

export function launchdLogSocketActivator(platform: NodeJS.Platform = process.platform): SystemLogSocketActivator {
  return {
    plan(spec: SystemLogSocketSpec): SystemLogSocketPlan {
      const job = logRelayJob(spec, platform);
      return {
        job,
        jobFile: { path: logRelayJobFile(spec.uid), content: logRelayPlist(job), mode: 0o644 },
        ...logRelayCommands(spec.uid),
      };
    },
  };
}
