/**
 * CSS class names for an ANSI style. Colours become one of 16 classes per layer
 * (`ansi-fg-0`…`ansi-fg-15`, `ansi-bg-*`) whose actual colours the stylesheet picks per theme,
 * so text stays readable in light and dark mode. 256-colour and 24-bit colours are mapped to
 * the nearest of those 16: a log's exact RGB was chosen for some terminal's background, not
 * ours, and inline colours would bypass the theme (and need a style attribute per span).
 */
import type { AnsiColor, AnsiStyle } from './ansi.js';

// xterm's default RGB values: the reference for "nearest" when reducing extended colours.
const basic: readonly (readonly [number, number, number])[] = [
  [0, 0, 0], [205, 0, 0], [0, 205, 0], [205, 205, 0], [0, 0, 238], [205, 0, 205], [0, 205, 205], [229, 229, 229],
  [127, 127, 127], [255, 0, 0], [0, 255, 0], [255, 255, 0], [92, 92, 255], [255, 0, 255], [0, 255, 255], [255, 255, 255],
];

const cubeLevels = [0, 95, 135, 175, 215, 255] as const;

/** The RGB of a 256-palette entry (16–231: 6×6×6 cube; 232–255: greys). */
function paletteRgb(index: number): readonly [number, number, number] {
  if (index < 16) return basic[index] ?? [0, 0, 0];
  if (index < 232) {
    const n = index - 16;
    return [cubeLevels[Math.floor(n / 36)] ?? 0, cubeLevels[Math.floor(n / 6) % 6] ?? 0, cubeLevels[n % 6] ?? 0];
  }
  const grey = 8 + (index - 232) * 10;
  return [grey, grey, grey];
}

function nearestBasic([r, g, b]: readonly [number, number, number]): number {
  let best = 0;
  let bestDistance = Infinity;
  basic.forEach(([br, bg, bb], index) => {
    const distance = (r - br) ** 2 + (g - bg) ** 2 + (b - bb) ** 2;
    if (distance < bestDistance) {
      bestDistance = distance;
      best = index;
    }
  });
  return best;
}

/** 0–15: the palette slot this colour is drawn with. */
export function basicIndex(color: AnsiColor): number {
  if (color.kind === 'index') return color.index < 16 ? color.index : nearestBasic(paletteRgb(color.index));
  return nearestBasic([color.r, color.g, color.b]);
}

/** Space-separated classes; '' for the plain style (the row's own colour applies). */
export function ansiClassName(style: AnsiStyle): string {
  const classes: string[] = [];
  if (style.bold) classes.push('ansi-bold');
  if (style.dim) classes.push('ansi-dim');
  if (style.italic) classes.push('ansi-italic');
  if (style.underline) classes.push('ansi-underline');
  if (style.fg) classes.push(`ansi-fg-${basicIndex(style.fg)}`);
  if (style.bg) classes.push(`ansi-bg-${basicIndex(style.bg)}`);
  return classes.join(' ');
}
