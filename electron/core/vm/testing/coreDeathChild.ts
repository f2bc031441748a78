/**
 * Test fixture, run as its own process by builderSupervisor.coreDeath.integration.test.ts: a
 * core that starts the builder, reports it ready on stdout, then waits to be killed with
 * SIGKILL (no cleanup, no close), as a crashing app would.
 *
 * Usage: node coreDeathChild.mjs <stateDir> <hostPort>
 */
import { statePaths } from '../../paths.js';
import { defaultSettings } from '../../settings/defaults.js';
import { BuilderSupervisor } from '../builderSupervisor.js';
import { linuxTestProfile } from '../profiles/linuxTest.js';

const [stateDir, hostPort] = process.argv.slice(2);
if (!stateDir || !hostPort) {
  process.stderr.write('usage: coreDeathChild <stateDir> <hostPort>\n');
  process.exit(2);
}

const settings = { ...defaultSettings('linux'), cpus: 1, memoryMiB: 1024, diskGiB: 2, hostPort: Number(hostPort) };
const supervisor = new BuilderSupervisor({
  paths: statePaths({ stateDir }),
  getSettings: () => settings,
  logs: { append: (source, level, text) => process.stderr.write(`${source} ${level}: ${text}\n`) },
  resolveProfile: () => linuxTestProfile,
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
