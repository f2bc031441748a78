import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { statePaths, type StatePaths } from '../paths.js';
import { vmFilesIn, writeBootRecord } from '../vm/vmFiles.js';
import { ownBuilderOffer, wiringInputsFromState } from './builderFromState.js';

let root: string;
let paths: StatePaths;
const children: ChildProcess[] = [];

/** A live process of this node executable, working in `cwd`, ended after the test. */
async function standIn(cwd: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => undefined, 60_000)'], { cwd, stdio: 'ignore' });
  children.push(child);
  await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  return child;
}

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-from-state-'));
  paths = statePaths({ stateDir: root });
});
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

const record = (pid: number, qemuBinary: string) => ({
  pid,
  profile: 'linux-test' as const,
  qemuBinary,
  bootMarker: 'marker-0123456789',
  sshPort: 31022,
  accelerator: { name: 'tcg' as const, reason: 'test' },
  startedAt: 1,
});

describe('wiringInputsFromState (the CLI, without a core)', () => {
  it("knows our own VM's port from the boot record while that QEMU runs, so detection leaves it alone", async () => {
    await fs.mkdir(paths.vmDir, { recursive: true });
    // A node process stands in for QEMU: alive, its executable the one the record names, and
    // running in the VM dir as the run script's QEMU does.
    const child = await standIn(paths.vmDir);
    await writeBootRecord(vmFilesIn(paths.vmDir), record(child.pid as number, process.execPath));
    const inputs = await wiringInputsFromState(paths, 'linux');
    expect(inputs.runningBuilderPort).toBe(31022);
    expect(inputs.clientKeyFile).toBe(path.join(root, 'keys', 'client_ed25519'));
  });

  it("takes no port from a QEMU of another state dir (a copied state dir's record): it is not this builder", async () => {
    await fs.mkdir(paths.vmDir, { recursive: true });
    const elsewhere = path.join(root, 'other-vm');
    await fs.mkdir(elsewhere);
    const child = await standIn(elsewhere);
    await writeBootRecord(vmFilesIn(paths.vmDir), record(child.pid as number, process.execPath));
    expect((await wiringInputsFromState(paths, 'linux')).runningBuilderPort).toBeNull();
  });

  it('a boot record whose pid is now another program, or none, is no running builder of ours', async () => {
    await fs.mkdir(paths.vmDir, { recursive: true });
    await writeBootRecord(vmFilesIn(paths.vmDir), record(process.pid, '/usr/bin/qemu-system-x86_64'));
    expect((await wiringInputsFromState(paths, 'linux')).runningBuilderPort).toBeNull();
    await fs.rm(path.join(paths.vmDir, 'boot.json'));
    expect((await wiringInputsFromState(paths, 'linux')).runningBuilderPort).toBeNull();
  });
});

describe("what the machines entry offers for our own builder", () => {
  it("offers nixpkgs' builder for NixOS tests and vmTools builds, as nix-darwin's linux-builder does (and nixos-test)", () => {
    const offer = ownBuilderOffer('darwin-linux-builder', 4, 'arm64');
    expect(offer.supportedFeatures).toEqual(expect.arrayContaining(['kvm', 'nixos-test', 'benchmark', 'big-parallel']));
    expect(offer.maxJobs).toBe(4);
    expect(ownBuilderOffer('linux-test', 4, 'x64')).toEqual({ maxJobs: 4, supportedFeatures: [] });
  });

  it('offers as many jobs as the guest has CPUs: on Apple Silicon at most the 8 the virt machine serves', () => {
    expect(ownBuilderOffer('darwin-linux-builder', 12, 'arm64').maxJobs).toBe(8);
    expect(ownBuilderOffer('darwin-linux-builder', 12, 'x64').maxJobs).toBe(12);
  });
});
