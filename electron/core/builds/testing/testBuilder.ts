/**
 * Boots the real linux-test guest for the build queue's recorder and integration test, in a
 * state dir the caller owns, under TCG (kvm does not work on these machines, FACTS.md section 4),
 * and guarantees its QEMU is gone afterwards: `shutdown()` stops it and then kills every QEMU pid
 * it ever saw.
 */
import type { Settings } from '../../../ipc/contract.js';
import { statePaths, type StatePaths } from '../../paths.js';
import { defaultSettings } from '../../settings/defaults.js';
import { BuilderSupervisor } from '../../vm/builderSupervisor.js';
import { linuxTestProfile } from '../../vm/profiles/linuxTest.js';
import { readPidFile, vmFilesIn } from '../../vm/vmFiles.js';
import { freeLoopbackPort } from '../../vm/testing/freeLoopbackPort.js';

export interface TestBuilder {
  supervisor: BuilderSupervisor;
  paths: StatePaths;
  sshPort: number;
  /** The guest's ssh user (the profile's). */
  sshUser: string;
  shutdown(): Promise<void>;
}


export async function bootTestBuilder(stateDir: string, log: (text: string) => void = () => undefined): Promise<TestBuilder> {
  const paths = statePaths({ stateDir });
  const settings: Settings = { ...defaultSettings('linux'), cpus: 1, memoryMiB: 1024, diskGiB: 2, hostPort: await freeLoopbackPort(), hostPortAuto: true };
  const qemuPids = new Set<number>();
  const supervisor = new BuilderSupervisor({
    paths,
    getSettings: () => settings,
    logs: { append: (source, level, text) => { if (source === 'app') log(`[${level}] ${text}`); } },
    resolveProfile: () => linuxTestProfile,
    chooseAccelerator: async () => ({ name: 'tcg', reason: 'build queue tests: kvm does not work on this machine' }),
    timing: { gracefulStopMs: 10_000, statsIntervalMs: 30_000 },
  });
  supervisor.onStatus((status) => {
    if (status.pid !== null) qemuPids.add(status.pid);
  });
  const shutdown = async (): Promise<void> => {
    // A forced stop: the state dir is thrown away, so the guest's disk needs no clean shutdown.
    await supervisor.stop({ force: true }).catch(() => undefined);
    await supervisor.close({ stopBuilder: false }).catch(() => undefined);
    const fromFile = await readPidFile(vmFilesIn(paths.vmDir)).catch(() => null);
    if (fromFile !== null) qemuPids.add(fromFile);
    for (const pid of qemuPids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  try {
    const status = await supervisor.start({ wait: true, timeoutMs: 280_000 });
    if (status.sshPort === null) throw new Error('the builder is ready but reports no ssh port');
    return { supervisor, paths, sshPort: status.sshPort, sshUser: linuxTestProfile.sshUser, shutdown };
  } catch (error) {
    await shutdown();
    throw error;
  }
}
