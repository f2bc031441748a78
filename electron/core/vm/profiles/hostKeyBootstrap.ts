/**
 * "Make its own host key": the Mac builder leaves nixpkgs' published host key (whose private half
 * anyone can read in nixpkgs) for one made for this install, bootstrapped by the builder itself.
 * The own-host-key image (linux-builder.nix with `ownHostKey`) differs from the binary cache's in
 * its guest closure (a systemd unit, /etc), so Nix has to build Linux derivations; the only Linux
 * machine there is, on a Mac with no builder before Builder Bar, is the stock builder, and Nix
 * reaches it through the wiring Builder Bar applied. So: the stock builder runs (pinned, flagged
 * weak), this builds the own image on it, and the next start runs the own image with the key
 * handed in through fw_cfg (darwinLinuxBuilder.ts); hostKeySwitch.ts restarts the builder into it
 * and applies the Nix wiring again, so Nix pins the new key too. The private key never enters
 * the Nix store.
 */
import type { NixpkgsPin } from '../../../ipc/contract.js';
import { BuilderBarError } from '../../errors.js';
import { ensureBuilderImage, existingBuilderImage, type ArchiveUrl, type BuilderImage, type StoreView } from './builderImage.js';

export interface OwnHostKeyDeps {
  vmDir: string;
  nixBuild: string;
  report: (message: string) => void;
  archiveUrl?: ArchiveUrl;
  nixResourcesDir?: string;
  storeView?: StoreView;
  env?: Record<string, string>;
  signal?: AbortSignal;
}

/** Nix's words when it has no machine for a Linux derivation (2.8: "Failed to find a machine", 2.34: "Cannot build"). */
const NO_LINUX_MACHINE = /Failed to find a machine for remote build|unable to start any build|required system or feature not available|Reason: (local builds are disabled|required system)/;

export async function hasOwnHostKeyImage(vmDir: string, pin: NixpkgsPin, storeView?: StoreView): Promise<boolean> {
  return (await existingBuilderImage(vmDir, pin, storeView, 'own-host-key')) !== null;
}

/** Builds (on the running builder, through Nix's wiring) the own-host-key image of the pin. */
export async function buildOwnHostKeyImage(deps: OwnHostKeyDeps, pin: NixpkgsPin): Promise<BuilderImage> {
  try {
    const image = await ensureBuilderImage({
      ...deps,
      pin,
      variant: 'own-host-key',
    });
    if (image.realised) deps.report(`The builder image of nixpkgs ${pin.rev.slice(0, 12)} with this install's own host key is ready (${image.storePath}).`);
    return image;
  } catch (error) {
    if (error instanceof BuilderBarError && NO_LINUX_MACHINE.test(error.message + (error.hint ?? ''))) throw noLinuxBuilder(error);
    throw error;
  }
}

function noLinuxBuilder(cause: BuilderBarError): BuilderBarError {
  return new BuilderBarError('vm-failed',
    `Nix found no Linux machine to build the builder's own host key image on: ${cause.message}`,
    'The builder builds it on itself through Nix: start the builder, apply the Nix wiring (Nix → Apply, or builder-bar nix apply) so Nix knows it, then try again.');
}
