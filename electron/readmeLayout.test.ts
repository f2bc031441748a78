/**
 * README's "How it fits together" names every folder of electron/ (and of its core and doors),
 * and none that is gone: a newcomer reads the layout there before opening a file. The renderer's
 * folders are held to the same in renderer/src/readmeLayout.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from './doors/packageRoot.js';

const root = packageRoot();

function foldersOf(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

function layoutSection(): string {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## How it fits together\n');
  if (start < 0) throw new Error('README has no "## How it fits together"');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end).replace(/\s+/g, ' ');
}

describe('README: How it fits together', () => {
  const layout = layoutSection();

  it('names every folder of electron/', () => {
    const folders = foldersOf('electron');
    expect(folders.length).toBeGreaterThan(5);
    for (const folder of folders) expect(layout, `electron/${folder}/`).toMatch(new RegExp(`\`electron/${folder}/`));
  });

  it("names every folder of the core and of the doors, in the folder's own bullet", () => {
    for (const parent of ['core', 'doors']) {
      const bullet = layout.slice(layout.indexOf(`\`electron/${parent}/\``));
      const own = bullet.slice(0, bullet.indexOf(' - ', 1) < 0 ? undefined : bullet.indexOf(' - ', 1));
      for (const folder of foldersOf(path.join('electron', parent))) expect(own, `electron/${parent}/${folder}/`).toContain(`\`${folder}/\``);
    }
  });

  it('names no electron/ folder that does not exist', () => {
    const named = [...layout.matchAll(/`electron\/([a-z]+)\//g)].map((match) => match[1]!);
    expect(named.length).toBeGreaterThan(0);
    for (const folder of named) expect(foldersOf('electron'), folder).toContain(folder);
  });
});
