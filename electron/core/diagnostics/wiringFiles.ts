/**
 * The Nix wiring a diagnostics bundle shows: the record of what apply wrote, and the files it
 * manages as they are now, except the client key. A file under the state dir's `keys/` is
 * never read, whatever the record says, and the bundle's scrubber still runs over the rest.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readWiringRecord, recordPath } from '../nix/wiringRecord.js';
import { targetLayout } from '../nix/wiringTarget.js';

export interface BundleEntry {
  /** Path inside the bundle, with `/`. */
  name: string;
  text: string;
}

function inside(dir: string, file: string): boolean {
  const relative = path.relative(dir, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

export async function wiringEntries(stateDir: string, keysDir: string): Promise<BundleEntry[]> {
  let record;
  try {
    record = await readWiringRecord(stateDir);
  } catch (error) {
    return [{ name: 'nix-wiring/README.txt', text: `The wiring record could not be read: ${(error as Error).message}\n` }];
  }
  if (record === null) return [{ name: 'nix-wiring/README.txt', text: 'No Nix wiring is applied (no nix-wiring.json in the state dir).\n' }];
  const entries: BundleEntry[] = [{ name: 'nix-wiring/nix-wiring.json', text: await fs.readFile(recordPath(stateDir), 'utf8') }];
  const clientKey = path.resolve(targetLayout(record.target).clientKey);
  const notes: string[] = [];
  for (const file of record.files) {
    const resolved = path.resolve(file.path);
    if (resolved === clientKey || inside(keysDir, resolved)) {
      notes.push(`${file.path}: left out (a private key)`);
      continue;
    }
    const text = await fs.readFile(resolved, 'utf8').catch((error: NodeJS.ErrnoException) => {
      notes.push(`${file.path}: not readable (${error.code ?? error.message})`);
      return null;
    });
    // `/etc/nix/nix.conf` becomes `nix-wiring/files/etc/nix/nix.conf`.
    if (text !== null) entries.push({ name: `nix-wiring/files${resolved}`, text });
  }
  if (notes.length > 0) entries.push({ name: 'nix-wiring/README.txt', text: `${notes.join('\n')}\n` });
  return entries;
}
