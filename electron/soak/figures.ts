/**
 * The soak project's global setup (vitest.config.ts): clears last run's figures before the
 * scenarios start, and prints one table of all of them once they have ended, passed or failed.
 * Each scenario writes its own figures to test-results/soak/*.json (soakKit.ts `writeFigure`).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { figuresDir, type Figure } from './soakKit.js';

interface StoredFigure extends Figure {
  mode: string;
  scale: number;
}

export async function setup(): Promise<void> {
  await fs.rm(figuresDir, { recursive: true, force: true });
}

export async function teardown(): Promise<void> {
  const names = (await fs.readdir(figuresDir).catch(() => [] as string[])).filter((name) => name.endsWith('.json')).sort();
  if (names.length === 0) return;
  const figures: StoredFigure[] = [];
  for (const name of names) {
    figures.push(JSON.parse(await fs.readFile(path.join(figuresDir, name), 'utf8')) as StoredFigure);
  }
  const first = figures[0];
  const mode = first ? `${first.mode}${first.mode === 'full' && first.scale !== 1 ? `, SOAK_SCALE=${first.scale}` : ''}` : '';
  const lines = [
    '',
    `Fault figures (${mode}; ${new Date().toISOString().slice(0, 10)})`,
    '',
    '| what | tried | survived | lost | time |',
    '|---|---:|---:|---:|---:|',
    ...figures.map((figure) => `| ${figure.what} | ${figure.tried} | ${figure.survived} | ${figure.lost} | ${formatSeconds(figure.seconds)} |`),
    '',
  ];
  const lost = figures.filter((figure) => figure.lost > 0);
  for (const figure of lost) {
    lines.push(`${figure.what}: notes and first failures`, ...figure.notes.slice(0, 8).map((note) => `  - ${note}`), '');
  }
  lines.push(`Details: ${figuresDir}`);
  console.log(lines.join('\n'));
}

function formatSeconds(seconds: number): string {
  if (seconds < 120) return `${seconds.toFixed(0)} s`;
  return `${(seconds / 60).toFixed(1)} min`;
}
