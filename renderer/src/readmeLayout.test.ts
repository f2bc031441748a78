/**
 * README's "How it fits together" names every folder of the renderer, and names none that is
 * gone: a newcomer reads the layout there before opening a file.
 */
import { describe, expect, it } from 'vitest';
import readme from '../../README.md?raw';

// Lazy importers: only the keys (the files' paths) are used, nothing is loaded.
const sources = Object.keys(import.meta.glob('./*/*.{ts,tsx,css}'));
const folders = [...new Set(sources.map((file) => file.split('/')[1]!))].sort();

function section(text: string, heading: string): string {
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README has no "${heading}"`);
  const end = text.indexOf('\n## ', start + heading.length + 2);
  return text.slice(start, end < 0 ? undefined : end);
}

describe('README: How it fits together', () => {
  const layout = section(readme, '## How it fits together').replace(/\s+/g, ' ');

  it('names every folder of renderer/src', () => {
    expect(folders.length).toBeGreaterThan(5);
    for (const folder of folders) expect(layout, folder).toContain(`\`src/${folder}/\``);
  });

  it('names no renderer folder that does not exist', () => {
    const named = [...layout.matchAll(/`src\/([a-z]+)\/`/g)].map((match) => match[1]!);
    expect(named.length).toBeGreaterThan(0);
    for (const folder of named) expect(folders, folder).toContain(folder);
  });

  it('names the Dashboard files that hold its places, and they exist', () => {
    const dashboard = Object.keys(import.meta.glob('./dashboard/*.tsx')).concat(Object.keys(import.meta.glob('./dashboard/*.ts')));
    for (const file of ['Dashboard.tsx', 'Sidebar.tsx', 'usePlace.ts', 'BuilderPlace.tsx']) {
      expect(layout).toContain(`\`${file}\``);
      expect(dashboard).toContain(`./dashboard/${file}`);
    }
  });
});
