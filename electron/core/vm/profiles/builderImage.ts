/**
 * The Mac builder's image: resources/nix/linux-builder.nix realised for one nixpkgs pin, kept
 * alive by a GC root in the state dir (`vm/builder-image`, made by `nix-build -o`) and described
 * by a record (`vm/builder-image.json`: pin and store path). A start whose pin matches the record
 * and whose store path is still there uses it as is: no evaluation, no download. Only a pin that
 * changed (the user's setting or "Update builder image") realises a new one, and before it does,
 * Nix's dry run says what it will fetch and build.
 *
 * Two variants per pin: `stock` (nixpkgs' builder as the binary cache has it, with nixpkgs'
 * published host key) and `own-host-key` (the same with the host key handed in through fw_cfg,
 * `--arg ownHostKey true`; its guest closure is not in the cache, so it is built on the stock
 * builder: hostKeyBootstrap.ts). Each has its own GC root and record (`builder-image-own`).
 */
import { execa } from 'execa';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { NixpkgsPinSchema, type NixpkgsPin } from '../../../ipc/contract.js';
import { BuilderBarError } from '../../errors.js';
import { findResourcesDir } from '../../util/resourcesDir.js';
import { writeFileAtomic } from '../../util/atomicWrite.js';
import { readJsonOrNull } from '../../util/jsonFile.js';

export const BUILDER_IMAGE_ROOT = 'builder-image';
const EXPRESSION = 'linux-builder.nix';

export type ImageVariant = 'stock' | 'own-host-key';

/** The GC root (a symlink in the VM dir) of a variant. */
export function imageRootName(variant: ImageVariant): string {
  return variant === 'stock' ? BUILDER_IMAGE_ROOT : `${BUILDER_IMAGE_ROOT}-own`;
}

function recordName(variant: ImageVariant): string {
  return `${imageRootName(variant)}.json`;
}

/** Where nixpkgs' source for a pin is fetched from (a local copy in tests). */
export type ArchiveUrl = (rev: string) => string;
export const githubArchiveUrl: ArchiveUrl = (rev) => `https://github.com/NixOS/nixpkgs/archive/${rev}.tar.gz`;

export interface BuilderImage {
  pin: NixpkgsPin;
  /** The realised store path (what the GC root points at). */
  storePath: string;
  /** nixpkgs' `run-<name>-vm` for this builder. */
  runScript: string;
  /** The bin dir of the QEMU that script runs. */
  qemuBinDir: string;
  mkfsExt4: string;
  /** True when this call realised it. */
  realised: boolean;
}

const RecordSchema = z.object({ pin: NixpkgsPinSchema, storePath: z.string().startsWith('/') });

/** resources/nix, found by walking up from this module (sources and out/ alike). */
export function defaultNixResourcesDir(from: string = path.dirname(fileURLToPath(import.meta.url))): string {
  return findResourcesDir('nix', EXPRESSION, from);
}

/** nix-build's arguments: values go through --argstr (never spliced into Nix code). */
export function builderImageArgs(input: { expressionFile: string; pin: NixpkgsPin; archiveUrl: ArchiveUrl; outLink: string | null; dryRun?: boolean; variant?: ImageVariant }): string[] {
  const pin = NixpkgsPinSchema.parse(input.pin);
  return [
    input.expressionFile,
    '--argstr', 'url', input.archiveUrl(pin.rev),
    '--argstr', 'narHash', pin.narHash,
    ...(input.variant === 'own-host-key' ? ['--arg', 'ownHostKey', 'true'] : []),
    ...(input.outLink === null ? ['--no-out-link'] : ['--out-link', input.outLink]),
    ...(input.dryRun ? ['--dry-run'] : []),
  ];
}

/** The sentences of Nix's dry run that say what a realisation costs ("these 12 paths will be fetched (…)"). */
export function describeDryRun(stderr: string): string {
  const lines = stderr.split('\n').map((line) => line.trim());
  const summary = lines.filter((line) => /^(these|this) .* (will be|would be) (fetched|built)/.test(line)).map((line) => line.replace(/:$/, ''));
  return summary.length > 0 ? summary.join('; ') : 'nothing to fetch or build';
}

/**
 * Nix's own error sentence: its last `error:` line (newer Nix prints code excerpts after it), with
 * the `Reason:` line that Nix 2.3x puts under "Cannot build '…'". When that reason is only that a
 * dependency failed, the dependency's own error says more.
 */
function nixErrorLine(text: string): string {
  const lines = text.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  const errors = lines.flatMap((line, index) => {
    if (!line.startsWith('error:')) return [];
    const reason = lines[index + 1];
    return [reason?.startsWith('Reason:') ? `${line} ${reason}` : line];
  });
  if (errors.length === 0) return lines.pop() ?? 'no output';
  return [...errors].reverse().find((error) => !/Reason: \d+ dependenc(y|ies) failed/.test(error)) ?? errors[errors.length - 1]!;
}

export function realiseFailure(pin: NixpkgsPin, stderr: string): BuilderBarError {
  const last = nixErrorLine(stderr);
  if (/hash mismatch|NAR hash mismatch|got:\s+sha256/i.test(stderr)) {
    return new BuilderBarError('vm-failed', `nixpkgs ${pin.rev} does not have the narHash in settings (${pin.narHash}): ${last}`,
      'Correct the builder\'s nixpkgs pin in Settings (copy rev and narHash from a flake.lock), or use "Update builder image".');
  }
  if (/unable to download|Could not resolve host|Couldn't resolve|Failed to connect|timed out|HTTP error/i.test(stderr)) {
    return new BuilderBarError('vm-failed', `Nix could not download what the builder image needs (nixpkgs ${pin.rev.slice(0, 12)} and the builder's closure): ${last}`,
      'The first start of a pin needs the internet: nixpkgs\' source (about 45 MiB) and the builder from cache.nixos.org (about 1 GiB). Connect and start again; later starts need nothing.');
  }
  return new BuilderBarError('vm-failed', `Nix could not build the builder image from nixpkgs ${pin.rev.slice(0, 12)}: ${last}`,
    'The app log has Nix\'s output. Check that Nix works (`nix-build --version`) and that this Mac reaches its substituters.');
}

async function readRecord(vmDir: string, variant: ImageVariant): Promise<z.infer<typeof RecordSchema> | null> {
  return readJsonOrNull(path.join(vmDir, recordName(variant)), RecordSchema);
}

function samePin(a: NixpkgsPin, b: NixpkgsPin): boolean {
  return a.rev === b.rev && a.narHash === b.narHash;
}

/** Where this process sees a store path (the identity, but for a test's Nix living in a root of its own). */
export type StoreView = (storePath: string) => string;

async function imageAt(storePath: string, pin: NixpkgsPin, realised: boolean, view: StoreView): Promise<BuilderImage | null> {
  const image: BuilderImage = {
    pin,
    storePath,
    runScript: path.join(storePath, 'run-vm'),
    qemuBinDir: path.join(storePath, 'qemu-bin'),
    mkfsExt4: path.join(storePath, 'mkfs.ext4'),
    realised,
  };
  try {
    // lstat: the link is what the image holds (a test's Nix in a root of its own has its store elsewhere).
    await fs.lstat(view(image.runScript));
    return image;
  } catch {
    return null;
  }
}

export interface EnsureBuilderImageInput extends NixBuildInput {
  report: (message: string) => void;
  storeView?: StoreView;
}

/** The image for the pin without touching Nix, or null when it has to be realised. */
export async function existingBuilderImage(vmDir: string, pin: NixpkgsPin, view: StoreView = (p) => p, variant: ImageVariant = 'stock'): Promise<BuilderImage | null> {
  const record = await readRecord(vmDir, variant);
  if (!record || !samePin(record.pin, pin)) return null;
  // The GC root must still point at it: a root removed by hand means the path may be collected.
  const rooted = await fs.readlink(path.join(vmDir, imageRootName(variant))).catch(() => null);
  if (rooted !== record.storePath) return null;
  return imageAt(record.storePath, pin, false, view);
}

interface NixBuildInput {
  /** The VM dir (`<state>/vm`): the GC root and the record live there. */
  vmDir: string;
  pin: NixpkgsPin;
  nixBuild: string;
  archiveUrl?: ArchiveUrl;
  nixResourcesDir?: string;
  /** Extra environment for nix-build (a test's NIX_CONF_DIR). */
  env?: Record<string, string>;
  signal?: AbortSignal;
  /** Default `stock`. */
  variant?: ImageVariant;
}

function runNixBuild(input: NixBuildInput, outLink: string | null, dryRun: boolean) {
  const expressionFile = path.join(input.nixResourcesDir ?? defaultNixResourcesDir(), EXPRESSION);
  const variant = input.variant ?? 'stock';
  return execa(input.nixBuild, builderImageArgs({ expressionFile, pin: input.pin, archiveUrl: input.archiveUrl ?? githubArchiveUrl, outLink, dryRun, variant }), {
    reject: false, cwd: input.vmDir, ...(input.env ? { env: input.env } : {}), ...(input.signal ? { cancelSignal: input.signal } : {}),
  });
}

/** What realising the pin would fetch and build, in Nix's words; fetches nothing but nixpkgs' source. */
export async function builderImageDryRun(input: NixBuildInput): Promise<string> {
  const dry = await runNixBuild(input, null, true);
  if (dry.isCanceled) throw new BuilderBarError('vm-failed', 'Realising the builder image was cancelled.');
  if (dry.exitCode !== 0) throw realiseFailure(input.pin, dry.stderr);
  return describeDryRun(dry.stderr);
}

export async function ensureBuilderImage(input: EnsureBuilderImageInput): Promise<BuilderImage> {
  const view = input.storeView ?? ((p: string) => p);
  const variant = input.variant ?? 'stock';
  const existing = await existingBuilderImage(input.vmDir, input.pin, view, variant);
  if (existing) return existing;

  const what = variant === 'stock' ? 'the builder image' : 'the builder image with its own host key';
  input.report(`Looking up what ${what} of nixpkgs ${input.pin.rev.slice(0, 12)} needs…`);
  input.report(`Realising ${what} of nixpkgs ${input.pin.rev.slice(0, 12)}: ${await builderImageDryRun(input)}.`);

  // nix-build replaces the out-link (and registers it as an indirect GC root) only once the new
  // image is complete, so the old image stays rooted and usable until then.
  const root = path.join(input.vmDir, imageRootName(variant));
  const built = await runNixBuild(input, root, false);
  if (built.isCanceled) throw new BuilderBarError('vm-failed', 'Realising the builder image was cancelled.');
  if (built.exitCode !== 0) throw realiseFailure(input.pin, built.stderr);
  // The out-link points straight at the store path.
  const storePath = await fs.readlink(root);
  const image = await imageAt(storePath, input.pin, true, view);
  if (!image) throw new BuilderBarError('vm-failed', `The builder image ${storePath} has no run-vm script.`, 'The app log has Nix\'s output.');
  await writeFileAtomic(path.join(input.vmDir, recordName(variant)), `${JSON.stringify({ pin: input.pin, storePath }, null, 2)}\n`, { mode: 0o600 });
  return image;
}
