/**
 * The baseline engine's on-disk cache: one file per repository in a directory of Builder Bar's
 * own state (never inside the repository), so a new engine (the core restarted, the app
 * launched) does not read the whole history again.
 *
 * What it holds is a set of facts about commit ids, which never change: each commit's committer
 * time, parents and generation, the subjects of baselines, the number of files changed between
 * (baseline, tip) pairs, and the tips whose whole history the graph holds. Only two things can
 * change how git sees a commit id: the shallow boundary and replace refs; they are the key the
 * file is written under, and a file with another key, another repository or any inconsistency
 * is ignored (the engine then reads git as if there were no cache). A cached tip that git no
 * longer has makes the engine's incremental load fail, and it then reads everything again.
 *
 * Layout: a magic line, a little-endian uint32 header length, the JSON header, padding to 8,
 * then times (float64), generations (uint32), parent starts (uint32, count + 1), parents
 * (uint32), and the shas as one run of ASCII hex.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { shortSubject } from './commitDetails.js';
import { CommitGraph, LATEST_COMMIT_TIME } from './commitGraph.js';

const magic = 'builder-bar-baseline-graph 1\n';

export interface GraphCacheContents {
  /** The git common dir the file belongs to (resolved); a file of another one is not used. */
  commonDir: string;
  /** The shallow boundary and replace refs the graph was read under. */
  graphKey: string;
  graph: CommitGraph;
  /** Tips whose whole history is in the graph: the `^known` side of the next incremental load. */
  tips: string[];
  commits: Map<string, { subject: string; authorTime: number }>;
  filesChanged: Map<string, number>;
}

interface Header {
  commonDir: string;
  graphKey: string;
  count: number;
  parentCount: number;
  shaLength: number;
  tips: string[];
  commits: [string, string, number][];
  filesChanged: [string, number][];
}

/** The cache file of the repository whose git common dir is `commonDir`. */
export function graphCacheFile(cacheDir: string, commonDir: string): string {
  return path.join(cacheDir, `${createHash('sha256').update(commonDir).digest('hex').slice(0, 32)}.graph`);
}

export async function writeGraphCache(file: string, contents: GraphCacheContents): Promise<void> {
  const arrays = contents.graph.exportArrays();
  const count = arrays.times.length;
  const { shaLength } = arrays;
  const header: Header = {
    commonDir: contents.commonDir,
    graphKey: contents.graphKey,
    count,
    parentCount: arrays.parentList.length,
    shaLength,
    tips: contents.tips,
    commits: [...contents.commits].map(([sha, details]) => [sha, details.subject, details.authorTime]),
    filesChanged: [...contents.filesChanged],
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const lead = Buffer.alloc(magic.length + 4);
  lead.write(magic, 0, 'latin1');
  lead.writeUInt32LE(headerBytes.length, magic.length);
  const padding = Buffer.alloc((8 - ((lead.length + headerBytes.length) % 8)) % 8);
  const bytesOf = (array: Float64Array | Uint32Array) => Buffer.from(array.buffer, array.byteOffset, array.byteLength);
  const shas = Buffer.from(arrays.shaText, 'latin1');
  if (shas.length !== count * shaLength) throw new Error('commit ids of different lengths in one graph');
  const body = Buffer.concat([lead, headerBytes, padding, bytesOf(arrays.times), bytesOf(arrays.generations), bytesOf(arrays.parentStart), bytesOf(arrays.parentList), shas]);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // Written aside and renamed: a reader never sees half a file, and a crash leaves the old one.
  // Aside under a name of its own: two tracked worktrees of one repository share this file, and
  // their engines write it at the same moment after a commit (one name made them write into one
  // file at once, and one rename then failed).
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, body, { mode: 0o600 });
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** The cache of `commonDir` written under `graphKey`, or null when there is none that fits. */
export async function readGraphCache(file: string, commonDir: string, graphKey: string): Promise<GraphCacheContents | null> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    return null;
  }
  try {
    return parse(bytes, commonDir, graphKey);
  } catch {
    return null;
  }
}

function parse(bytes: Buffer, commonDir: string, graphKey: string): GraphCacheContents | null {
  if (bytes.length < magic.length + 4 || bytes.toString('latin1', 0, magic.length) !== magic) return null;
  const headerLength = bytes.readUInt32LE(magic.length);
  let offset = magic.length + 4;
  const header = JSON.parse(bytes.toString('utf8', offset, offset + headerLength)) as Header;
  if (header.commonDir !== commonDir || header.graphKey !== graphKey) return null;
  const { count, parentCount, shaLength } = header;
  if (![count, parentCount, shaLength].every((value) => Number.isInteger(value) && value >= 0)) return null;
  offset += headerLength;
  offset += (8 - (offset % 8)) % 8;
  const size = 8 * count + 4 * count + 4 * (count + 1) + 4 * parentCount + shaLength * count;
  if (bytes.length !== offset + size) return null;
  // Copied out, so the typed arrays are aligned whatever the Buffer's own offset in its pool.
  const take = (length: number): ArrayBuffer => {
    const copy = new Uint8Array(length);
    copy.set(bytes.subarray(offset, offset + length));
    offset += length;
    return copy.buffer;
  };
  const times = new Float64Array(take(8 * count));
  const generations = new Uint32Array(take(4 * count));
  const parentStart = new Uint32Array(take(4 * (count + 1)));
  const parentList = new Uint32Array(take(4 * parentCount));
  const shaText = bytes.toString('latin1', offset, offset + shaLength * count);
  // Only lowercase hex (these ids go to git on stdin, where a line starting with "-" would be an
  // option): Node's hex decoder stops at the first other character, and it is native code.
  if (shaLength % 2 !== 0 || Buffer.from(shaText, 'hex').length * 2 !== shaText.length || shaText !== shaText.toLowerCase()) return null;
  if (count > 0 && shaLength < 7) return null;
  if (!consistent(count, times, generations, parentStart, parentList)) return null;
  const graph = CommitGraph.fromArrays({ shaText, shaLength, times, generations, parentStart, parentList });
  if (!header.tips.every((tip) => graph.loadedIndexOf(tip) !== undefined)) return null;
  return {
    commonDir,
    graphKey,
    graph,
    tips: header.tips,
    commits: new Map(header.commits.map(([sha, subject, authorTime]) => [sha, { subject: shortSubject(subject), authorTime }])),
    filesChanged: new Map(header.filesChanged),
  };
}

/** Times are numbers, parent ranges ascend and name commits of the graph, and a known generation is above its parents' (which are known too). */
function consistent(count: number, times: Float64Array, generations: Uint32Array, parentStart: Uint32Array, parentList: Uint32Array): boolean {
  if (parentStart[0] !== 0 || parentStart[count] !== parentList.length) return false;
  for (let index = 0; index < count; index += 1) {
    const time = times[index] as number;
    // NaN: a commit never read; out of range: a file written before times were clamped (commitGraph.ts).
    if (!(time >= 0 && time <= LATEST_COMMIT_TIME)) return false;
    const start = parentStart[index] as number;
    const end = parentStart[index + 1] as number;
    if (start > end) return false;
    const generation = generations[index] as number;
    for (let at = start; at < end; at += 1) {
      const parent = parentList[at] as number;
      if (parent >= count) return false;
      if (generation !== 0) {
        const parentGeneration = generations[parent] as number;
        if (parentGeneration === 0 || parentGeneration >= generation) return false;
      }
    }
  }
  return true;
}
