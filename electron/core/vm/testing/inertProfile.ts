/**
 * A builder profile for tests that never get as far as a guest: preparing or launching one
 * fails the test. Overrides give it what a test does need (a QEMU name, a stand-in launch).
 */
import type { BuilderProfile } from '../profile.js';

export function inertProfile(overrides: Partial<BuilderProfile> = {}): BuilderProfile {
  return {
    name: 'linux-test',
    qemuBinaryName: 'qemu-system-x86_64',
    acceleratorCandidates: ['tcg'],
    sshUser: 'builder',
    readinessCommand: 'true',
    hostKeyPolicy: { kind: 'per-install' },
    prepare: () => Promise.reject(new Error('prepare must not be reached')),
    launchPlan: () => {
      throw new Error('launchPlan must not be reached');
    },
    ...overrides,
  };
}
