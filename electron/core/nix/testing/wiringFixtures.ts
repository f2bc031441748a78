/**
 * What the wiring tests share: a builder endpoint (nixpkgs' published host key, the ports and
 * users they vary), a stand-in client key, and a sandbox with a state dir and a user's config
 * directory side by side (the state dir is Builder Bar's alone; the conf dir is the user's).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BuilderEndpoint } from '../builderEndpoint.js';

/** nixpkgs' darwin.linux-builder host key (public, committed in nixpkgs): a real key line. */
export const NIXPKGS_BUILDER_HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJBWcxb/Blaqt1auOtE+F8QUWrUotiC5qBJ+UuEWdVCb root@nixos';

/** Never used to log in: only its bytes travel through plan, apply and remove. */
export const TEST_CLIENT_KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n';

export function testBuilder(overrides: Partial<BuilderEndpoint> = {}): BuilderEndpoint {
  return {
    alias: 'builder-bar-linux',
    port: 31022,
    user: 'builder',
    systems: ['x86_64-linux'],
    maxJobs: 1,
    speedFactor: 1,
    supportedFeatures: [],
    hostPublicKey: NIXPKGS_BUILDER_HOST_KEY,
    ...overrides,
  };
}

export interface WiringSandbox {
  root: string;
  stateDir: string;
  /** The user's config directory, the `--conf-dir` target. */
  confDir: string;
  remove(): void;
}

/** A fresh temp root holding `state/` and `conf/`, both made. */
export async function wiringSandbox(prefix: string): Promise<WiringSandbox> {
  const root = mkdtempSync(path.join(os.tmpdir(), prefix));
  const stateDir = path.join(root, 'state');
  const confDir = path.join(root, 'conf');
  await Promise.all([fs.mkdir(stateDir), fs.mkdir(confDir)]);
  return { root, stateDir, confDir, remove: () => rmSync(root, { recursive: true, force: true }) };
}
