/**
 * Test fixture, run as its own process by builderSupervisor.coreDeath.integration.test.ts: a
 * core that starts the builder, reports it ready on stdout, then waits to be killed with
 * SIGKILL (no cleanup, no close), as a crashing app would.
 *
 * Usage: node coreDeathChild.mjs <stateDir> <hostPort> <guestResourcesDir>
 *
 * The guest's resources are named: the bundle runs from node_modules/.cache, which may be another
 * checkout's (a worktree's node_modules is often a link), and the default walks up from there.
 */
import { statePaths } from '../../paths.js';
import { defaultSettings } from '../../settings/defaults.js';
import { BuilderSupervisor } from '../builderSupervisor.js';
import { createLinuxTestProfile } from '../profiles/linuxTest.js';

const [stateDir, hostPort, guestResourcesDir] = process.argv.slice(2);
if (!stateDir || !hostPort || !guestResourcesDir) {
  process.stderr.write('usage: coreDeathChild <stateDir> <hostPort> <guestResourcesDir>\n');
  process.exit(2);
}

const settings = { ...defaultSettings('linux'), cpus: 1, memoryMiB: 1024, diskGiB: 2, hostPort: Number(hostPort) };
const supervisor = new BuilderSupervisor({
  paths: statePaths({ stateDir }),
  getSettings: () => settings,
  logs: { append: (source, level, text) => process.stderr.write(`${source} ${level}: ${text}\n`) },
  resolveProfile: () => createLinuxTestProfile({ guestResourcesDir }),
  chooseAccelerator: async () => ({ name: 'tcg', reason: 'test: kvm does not work on this machine' }),
});

supervisor
  .start({ wait: true, timeoutMs: 280_000 })
  .then((status) => {
    process.stdout.write(`${JSON.stringify({ ready: true, pid: status.pid, sshPort: status.sshPort })}\n`);
    // Stay alive until the test kills this process.
    setInterval(() => undefined, 60_000);
  })
  .catch((error: unknown) => {
    process.stdout.write(`${JSON.stringify({ ready: false, error: (error as Error).message })}\n`);
    process.exit(1);
  });
