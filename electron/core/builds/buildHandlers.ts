/**
 * The core's `builds.*` requests: the queue (Builder Bar's own builds, those seen on the builder,
 * and those any Nix on this machine reports through json-log-path), starting, cancelling and
 * reading a build's log.
 */
import type { HandlersFor } from '../core.js';
import type { ExternalBuildFeed } from './externalBuildFeed.js';
import type { ExternalBuildWatcher } from './externalBuilds.js';
import type { BuildService } from './buildService.js';

export interface BuildQueueParts {
  builds: BuildService;
  externalBuilds: ExternalBuildWatcher;
  externalFeed: ExternalBuildFeed;
}

/** What `builds.list` answers, and what a diagnostics bundle keeps. */
export async function buildQueue(parts: BuildQueueParts) {
  return { builds: parts.builds.list(), external: parts.externalBuilds.list(), externalFeed: await parts.externalFeed.status() };
}

export function buildHandlers(parts: BuildQueueParts): HandlersFor<'builds'> {
  const { builds } = parts;
  return {
    'builds.list': async () => buildQueue(parts),
    'builds.start': async (input) => builds.start(input.target),
    'builds.cancel': async (input) => builds.cancel(input.id),
    'builds.log': async (input) => builds.log(input.id, input.drvPath),
  };
}
