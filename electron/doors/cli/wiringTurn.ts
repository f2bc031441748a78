/**
 * One writer of the Nix wiring per state dir. `builder-bar nix apply|remove` beside a running
 * core is sent to that core, which runs apply and remove one at a time; with no core, the
 * command holds the state dir's instance lock while it writes, so a core cannot start meanwhile
 * and a second command is refused, naming the first. (Plan and verify write nothing and take
 * no turn.)
 */
import { promises as fs } from 'node:fs';
import type { StatePaths } from '../../core/paths.js';
import { InstanceLock, type LockOwner } from '../instanceLock.js';
import { coreAnswersOn } from '../ownedCore.js';
import { somethingAnswers } from '../socket/socketDoor.js';
import { CoreClient, NoCoreRunningError } from './socketClient.js';

export type WiringTurn =
  /** A core runs for the state dir: send the request there. */
  | { kind: 'core'; client: CoreClient }
  /** No core: this process writes, holding the lock (null: no state dir, so nothing to guard). */
  | { kind: 'local'; lock: InstanceLock | null }
  /** Another process holds the state dir (a core starting, another `nix apply|remove`). */
  | { kind: 'busy'; owner: LockOwner };

async function connectToCore(socketPath: string): Promise<CoreClient | null> {
  try {
    return await CoreClient.connect(socketPath);
  } catch (error) {
    if (error instanceof NoCoreRunningError) return null;
    throw error;
  }
}

/**
 * `createStateDir`: apply makes the state dir anyway (the install keys live there); remove with
 * no state dir has nothing to remove and needs no lock.
 */
export async function takeWiringTurn(paths: StatePaths, createStateDir: boolean): Promise<WiringTurn> {
  const client = await connectToCore(paths.socketPath);
  if (client) return { kind: 'core', client };
  if (createStateDir) await fs.mkdir(paths.stateDir, { recursive: true, mode: 0o700 });
  else if (!(await fs.stat(paths.stateDir).then(() => true, () => false))) return { kind: 'local', lock: null };
  const locked = await InstanceLock.acquire({
    lockFile: paths.lockFile,
    coreAnswers: () => coreAnswersOn(paths.socketPath),
    socketListens: () => somethingAnswers(paths.socketPath),
  });
  if (locked.acquired) return { kind: 'local', lock: locked.lock };
  // A core that took the lock a moment ago may answer by now.
  const late = await connectToCore(paths.socketPath);
  if (late) return { kind: 'core', client: late };
  return { kind: 'busy', owner: locked.owner };
}
