/**
 * The Nix wiring a diagnostics bundle shows: the record of what apply wrote, and the files it
 * manages as they are now, except the client key. Only the files of the record's target layout
 * are read, and a file under the state dir's `keys/` never, whatever the record says; the
 * bundle's scrubber still runs over the rest.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readStoredWiringRecord, recordPath } from '../nix/wiringRecord.js';
import { layoutFiles } from '../nix/wiringBounds.js';
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
    record = await readStoredWiringRecord(stateDir);
  } catch (error) {
    return [{ name: 'nix-wiring/README.txt', text: `The wiring record could not be read: ${(error as Error).message}\n` }];
  }
  if (record === null) return [{ name: 'nix-wiring/README.txt', text: 'No Nix wiring is applied (no nix-wiring.json in the state dir).\n' }];
  const entries: BundleEntry[] = [{ name: 'nix-wiring/nix-wiring.json', text: await fs.readFile(recordPath(stateDir), 'utf8') }];
  const layout = targetLayout(record.target);
  const clientKey = path.resolve(layout.clientKey);
  const notes: string[] = [];
  for (const file of record.files) {
    const resolved = path.resolve(file.path);
    // The record is the user's to edit: shown as it is, but only the wiring's own files are read.
    if (!layoutFiles(layout).includes(file.path)) {
      notes.push(`${file.path}: left out (not one of the wiring's files)`);
      continue;
    }
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
