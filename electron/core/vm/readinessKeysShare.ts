/**
 * Why the guest's sshd keeps refusing the client key, when the keys share is the reason. The
 * share (KEYS, /var/keys in the guest) is 9p with security_model=none: the guest sees the
 * host's owners and modes, and OpenSSH's StrictModes (on by default, as in nixpkgs' builder)
 * refuses an authorized-keys file, or a directory above it, that is owned by anyone but root
 * or the user, or that others can write. A share handed in as a plain directory of the user's
 * (upstream's old `./keys`, owned by uid 501 on a Mac) is refused at every login, forever:
 * waiting minutes for readiness to time out helps nobody. Seen from the host, the owner and
 * mode the guest sees are the KEYS path's own, so a stat here says it.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { KeysShare } from './profile.js';

/** Refusals in a row, while the guest runs, before the share is examined. */
export const REFUSALS_BEFORE_VERDICT = 3;

/** ssh2 reports a server that refused every offered credential with this level. */
export function isAuthRefusal(error: unknown): boolean {
  return error instanceof Error && (error as Error & { level?: unknown }).level === 'client-authentication';
}

export interface KeysShareVerdict {
  message: string;
  hint: string;
}

const HINT =
  'Keys must be handed in root-owned, through the Nix store (nix-store --add of the keys directory, as nixpkgs\' create-builder does), '
  + 'never as a directory of your own: the guest sees its owner as it is on this machine.';

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/**
 * What StrictModes holds against the share, in words; null when the share looks acceptable
 * (root-owned, not writable by others), so the refusal has another cause (a different key).
 */
export async function keysShareVerdict(share: KeysShare): Promise<KeysShareVerdict | null> {
  const guestFile = path.posix.join(share.guestDir, share.keyFile);
  const hostFile = path.join(share.hostDir, share.keyFile);
  let dirInfo;
  let fileInfo;
  try {
    [dirInfo, fileInfo] = await Promise.all([fs.stat(share.hostDir), fs.stat(hostFile)]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return {
      message: `The guest's sshd refused the client key: ${guestFile} does not exist, because ${hostFile} is missing on this machine (the keys share, KEYS).`,
      hint: `${HINT} Start the builder again to hand the key in anew.`,
    };
  }
  const checks = [
    { info: fileInfo, host: hostFile, what: `${guestFile}, which` },
    { info: dirInfo, host: share.hostDir, what: `${guestFile}, whose directory ${share.guestDir}` },
  ];
  for (const { info, host, what } of checks) {
    if (info.uid !== 0) {
      return {
        message: `The guest's sshd (StrictModes) refused ${what} the guest sees owned by uid ${info.uid}: `
          + `the keys share shows the guest the owners on this machine, and ${host} belongs to uid ${info.uid} here.`,
        hint: HINT,
      };
    }
    if ((info.mode & 0o022) !== 0) {
      return {
        message: `The guest's sshd (StrictModes) refused ${what} the guest sees writable by group or others (mode ${octal(info.mode)} of ${host} on this machine).`,
        hint: HINT,
      };
    }
  }
  return null;
}
