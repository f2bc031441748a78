/**
 * "Update builder image": the only way the Mac builder's nixpkgs moves besides the user typing a
 * pin. Two steps, so nothing is fetched before the user has seen what will be:
 *   plan    asks Nix where a nixpkgs branch is now (`nix flake metadata`: revision and narHash,
 *           locked) and what realising that pin would fetch and build (a dry run);
 *   apply   realises exactly the planned pin into the GC root and only then saves it in settings,
 *           so a failed or cancelled update leaves the current image and setting as they were.
 *           A builder that has its own host key keeps it: the new pin's own-host-key image is
 *           built too (on the running builder) before the pin is saved, or the update fails.
 */
import { execa } from 'execa';
import { z } from 'zod';
import { NixpkgsBranchSchema, NixpkgsPinSchema, type BuilderImagePlan, type NixpkgsPin } from '../../../ipc/contract.js';
import { BuilderBarError } from '../../errors.js';
import { builderImageDryRun, ensureBuilderImage, type ArchiveUrl, type BuilderImage, type StoreView } from './builderImage.js';
import { buildOwnHostKeyImage, hasOwnHostKeyImage } from './hostKeyBootstrap.js';

/** The branch nixpkgs' own CI gates on Linux and macOS builds alike, so the builder is in the cache. */
export const DEFAULT_NIXPKGS_BRANCH = 'nixpkgs-unstable';

/** Where a branch's locked revision is looked up (a local git repository in tests). */
export type BranchFlakeRef = (branch: string) => string;
export const githubBranch: BranchFlakeRef = (branch) => `github:NixOS/nixpkgs/${branch}`;

export interface ImageUpdateDeps {
  vmDir: string;
  nix: string;
  nixBuild: string;
  current: () => NixpkgsPin;
  savePin: (pin: NixpkgsPin) => Promise<void>;
  branchRef?: BranchFlakeRef;
  archiveUrl?: ArchiveUrl;
  storeView?: StoreView;
  env?: Record<string, string>;
  report: (message: string) => void;
}

export type ImageUpdatePlan = BuilderImagePlan;

const MetadataSchema = z.object({ locked: z.object({ rev: z.string(), narHash: z.string() }) });

export async function resolveBranch(deps: ImageUpdateDeps, branch: string): Promise<NixpkgsPin> {
  const name = NixpkgsBranchSchema.parse(branch);
  const ref = (deps.branchRef ?? githubBranch)(name);
  const result = await execa(deps.nix, ['flake', 'metadata', '--json', '--extra-experimental-features', 'nix-command flakes', ref], {
    reject: false, ...(deps.env ? { env: deps.env } : {}),
  });
  if (result.exitCode !== 0) {
    const line = result.stderr.split('\n').map((l) => l.trim()).reverse().find((l) => l.startsWith('error:')) ?? result.stderr.trim().split('\n').pop() ?? '';
    throw new BuilderBarError('vm-failed', `Nix could not look up nixpkgs' ${name}: ${line}`,
      'Looking up a branch needs the internet and a Nix with flakes (2.4 or newer). To pin by hand, set the revision and narHash in Settings.');
  }
  const parsed = MetadataSchema.safeParse(JSON.parse(result.stdout));
  const pin = parsed.success ? NixpkgsPinSchema.safeParse(parsed.data.locked) : null;
  if (!pin?.success) throw new BuilderBarError('vm-failed', `Nix's answer for nixpkgs' ${name} has no locked revision and narHash.`);
  return pin.data;
}

export async function planImageUpdate(deps: ImageUpdateDeps, branch: string = DEFAULT_NIXPKGS_BRANCH): Promise<ImageUpdatePlan> {
  const current = deps.current();
  const next = await resolveBranch(deps, branch);
  const upToDate = next.rev === current.rev && next.narHash === current.narHash;
  const cost = upToDate ? 'nothing: the builder already runs this revision' : await builderImageDryRun({
    vmDir: deps.vmDir, pin: next, nixBuild: deps.nixBuild,
    ...(deps.archiveUrl ? { archiveUrl: deps.archiveUrl } : {}), ...(deps.env ? { env: deps.env } : {}),
  });
  return { branch, current, next, upToDate, cost };
}

/** Realises the planned pin, then saves it; the builder picks it up at its next start. */
export async function applyImageUpdate(deps: ImageUpdateDeps, pin: NixpkgsPin, signal?: AbortSignal): Promise<BuilderImage> {
  const nixBuildInput = {
    vmDir: deps.vmDir, nixBuild: deps.nixBuild, report: deps.report,
    ...(deps.archiveUrl ? { archiveUrl: deps.archiveUrl } : {}), ...(deps.storeView ? { storeView: deps.storeView } : {}),
    ...(deps.env ? { env: deps.env } : {}), ...(signal ? { signal } : {}),
  };
  const keepsOwnHostKey = await hasOwnHostKeyImage(deps.vmDir, deps.current(), deps.storeView);
  const image = await ensureBuilderImage({ ...nixBuildInput, pin: NixpkgsPinSchema.parse(pin) });
  // Without it the next start would fall back to nixpkgs' published key, which the Nix wiring no longer pins.
  if (keepsOwnHostKey) {
    deps.report('The builder has its own host key: building the new revision\'s image with it too, on the builder.');
    await buildOwnHostKeyImage(nixBuildInput, pin);
  }
  await deps.savePin(pin);
  deps.report(`The builder image now comes from nixpkgs ${pin.rev.slice(0, 12)}; the builder uses it from its next start.`);
  return image;
}
