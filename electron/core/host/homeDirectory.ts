/**
 * The user's home directory, always absolute. Node's os.homedir() returns $HOME as it is, and a
 * launch environment with a relative HOME (a broken launchd plist, `env HOME=x`) would put the
 * state dir, and the older builder disks looked for, under whatever the working directory is
 * (`/` for an app started from Finder). Then the account's home from the user database is used.
 */
import os from 'node:os';
import path from 'node:path';

export function homeDirectory(fromEnvironment: string = os.homedir(), fromUserDatabase: () => string = () => os.userInfo().homedir): string {
  if (path.isAbsolute(fromEnvironment)) return fromEnvironment;
  try {
    const home = fromUserDatabase();
    if (path.isAbsolute(home)) return home;
  } catch {
    // No entry for this uid (a container's arbitrary user): resolve what HOME says, as before.
  }
  return path.resolve(fromEnvironment);
}
