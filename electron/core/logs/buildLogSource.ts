/**
 * A build's log source, `build:<id>`. The id names the stream's file (`builds/<id>.log`), so
 * only ids the contract's pattern accepts (letters, digits, `-`, `_`) make a source.
 */
import { BUILD_LOG_ID, type BuildLogSource } from '../../ipc/contract.js';

const BUILD_PREFIX = 'build:';

export function buildLogSource(buildId: string): BuildLogSource {
  return `${BUILD_PREFIX}${buildId}`;
}

/** The build id of a `build:<id>` source; null for a fixed source or an id that is no file name. */
export function buildIdOf(source: string): string | null {
  if (!source.startsWith(BUILD_PREFIX)) return null;
  const id = source.slice(BUILD_PREFIX.length);
  return BUILD_LOG_ID.test(id) ? id : null;
}
