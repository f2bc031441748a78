/**
 * A machines entry for one of OUR builders (its ssh alias, `ssh://builder-bar-linux ...`) that
 * sits outside our marked block: in a `builders` line of the user's, in their machines file, or
 * in our machines file above our block. It is a stale copy from an earlier manual setup, or a
 * line the user copied. Detection does not report it (it has our name), yet Nix sees two
 * machines for one VM. The plan says where it is and what to do.
 *
 * Note or problem? It depends on whether the copy connects the way our entry does:
 *
 * - Same connection (our alias, no port of its own or ours, our pinned host key or none): it
 *   works. Nix just counts the builder twice; its job slots are lock files named by the store
 *   URI (build-remote.cc, openSlotLock), so an identical URI shares our slots and a different
 *   one (`ssh-ng://`, `user@`) adds its own: more builds at once on the VM than its maxJobs.
 *   Users of darwin.linux-builder / nix-darwin copy such lines by hand all the time and expect
 *   to be told, not stopped: a NOTE (delete the line, or keep it knowing Nix counts the builder
 *   twice).
 * - Another port in the URI (Nix >= 2.31 reads `ssh://host:port`; an older Nix cannot use such
 *   a URI at all) or another pinned host key (the last field; Nix hands it to ssh as the known
 *   host, over our alias's known-hosts file): every build Nix sends to that entry fails
 *   ("Connection refused", "Host key verification failed"), and since Nix spreads builds over
 *   both entries, builds fail intermittently, which no one can diagnose from a failed build.
 *   A PROBLEM: apply refuses until the line is deleted.
 *
 * A different key path is no such case: our alias names our key with IdentitiesOnly, and ssh
 * offers the `-i` key Nix passes first, then ours, so the copy still logs in.
 */
import { promises as fs } from 'node:fs';
import { hostKeyBase64, type BuilderEndpoint } from './builderEndpoint.js';
import { boundedNotes, clipped, count, firstFew } from './boundedList.js';
import { machinesFileOf, type EffectiveBuilders } from './effectiveBuilders.js';
import { isBlockBegin, isBlockEnd } from './markedBlock.js';
import type { WiringProblem } from './planWiring.js';

/** An entry as Nix reads it, with where it stands. */
interface LocatedEntry {
  file: string;
  lineNumber: number;
  entry: string;
}

export interface StaleOwnEntries {
  notes: string[];
  problems: WiringProblem[];
}

/** Machines files name further `@FILE`s; past this depth (or a loop) reading stops. */
const MAX_DEPTH = 8;

/**
 * The entries for `endpoints` outside our block: in the user's effective builders (`users`,
 * read without our block) and the machines files they name, and in our own machines file
 * outside its block (Nix reads all of it).
 */
export async function staleOwnEntries(
  endpoints: readonly BuilderEndpoint[],
  users: Pick<EffectiveBuilders, 'entries' | 'setAt'>,
  ourMachinesFile: string,
  readText: (file: string) => Promise<string | null> = (file) => fs.readFile(file, 'utf8').catch(() => null),
): Promise<StaleOwnEntries> {
  const located: LocatedEntry[] = [];
  const visited = new Set<string>();
  const visitFile = async (file: string, depth: number): Promise<void> => {
    if (visited.has(file) || depth > MAX_DEPTH) return;
    visited.add(file);
    const text = await readText(file);
    if (text === null) return;
    let inOurBlock = false;
    for (const [index, line] of text.split('\n').entries()) {
      // Our block is skipped only in our own file: a copy of it in the user's file is a copy.
      if (file === ourMachinesFile && isBlockBegin(line)) inOurBlock = true;
      if (file === ourMachinesFile && isBlockEnd(line)) {
        inOurBlock = false;
        continue;
      }
      if (inOurBlock) continue;
      // Nix splits on ';' before it cuts comments (markedBlock.ts).
      for (const piece of line.split(';')) {
        const entry = piece.replace(/#.*$/, '').trim();
        const nested = entry === '' ? null : machinesFileOf(entry);
        if (nested !== null) await visitFile(nested, depth + 1);
        else if (entry !== '') located.push({ file, lineNumber: index + 1, entry });
      }
    }
  };
  for (const entry of users.entries) {
    const file = machinesFileOf(entry);
    if (file !== null) await visitFile(file, 1);
    else if (users.setAt) located.push({ file: users.setAt.path, lineNumber: users.setAt.lineNumber, entry });
  }
  await visitFile(ourMachinesFile, 1);

  const harmless: { at: LocatedEntry; endpoint: BuilderEndpoint }[] = [];
  const broken: { at: LocatedEntry; why: string }[] = [];
  for (const at of located) {
    const fields = at.entry.split(/\s+/);
    const uri = parseUri(fields[0] ?? '');
    const endpoint = endpoints.find((candidate) => candidate.alias === uri.host);
    if (!endpoint) continue;
    const hostKey = fields[7];
    if (uri.port !== null && uri.port !== String(endpoint.port)) {
      broken.push({ at, why: `names port ${uri.port}, where ${endpoint.alias} is reached on port ${endpoint.port}: builds Nix sends to it fail to connect` });
    } else if (hostKey !== undefined && hostKey !== '-' && hostKey !== hostKeyBase64(endpoint)) {
      broken.push({ at, why: `pins another host key than ${endpoint.alias} presents: builds Nix sends to it fail with "Host key verification failed"` });
    } else {
      harmless.push({ at, endpoint });
    }
  }

  const where = (at: LocatedEntry) => `${at.file} line ${at.lineNumber} holds a machines entry for Builder Bar's builder (${clipped(at.entry)}) outside Builder Bar's block`;
  const notes = boundedNotes(
    harmless,
    ({ at, endpoint }) =>
      `Note: ${where(at)}, likely a copy from an earlier setup. Nix counts the builder twice (two machines for one VM), so it may run more builds at once there than its ${endpoint.maxJobs} job(s). Delete that entry (Builder Bar's own stays); or keep it, knowing Nix counts the builder twice.`,
    (more) => `Note: ${count(more)} more such entries for Builder Bar's builder outside its block; each one makes Nix count the builder once more.`,
  );
  const { named, more } = firstFew(broken);
  const problems: WiringProblem[] = named.map(({ at, why }) => ({
    path: at.file,
    lineNumber: at.lineNumber,
    message: `${where(at)}, a stale copy that ${why}, while builds sent to Builder Bar's own entry work: Nix spreads builds over both, so builds would fail now and then. Delete that entry (Builder Bar's own stays), then plan again.`,
  }));
  if (more > 0) problems.push({ path: named[0]!.at.file, lineNumber: null, message: `${count(more)} more stale entries for Builder Bar's builder connect another way than its own; delete them too, then plan again.` });
  return { notes, problems };
}

/** The host (an ssh alias for ours) and explicit port of a machines entry's URI; `ssh://[user@]host[:port]`, or a bare `[user@]host`. */
function parseUri(uri: string): { host: string; port: string | null } {
  const withoutScheme = uri.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const authority = withoutScheme.split(/[/?]/)[0] ?? '';
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const match = /^(.*?)(?::(\d+))?$/.exec(hostPort);
  return { host: match?.[1] ?? hostPort, port: match?.[2] ?? null };
}
