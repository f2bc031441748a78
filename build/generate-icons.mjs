#!/usr/bin/env node
/**
 * Draws Builder Bar's icons and writes them as PNG files:
 *   resources/icons/tray-<state>Template.png and @2x   (16x16 and 32x32 menu-bar template images)
 *   resources/icons/tray-starting-<n>Template.png and @2x   (frames cycled while starting)
 *   build/icon.png                                     (1024x1024 app icon for electron-builder)
 *
 * Run `node build/generate-icons.mjs` after changing a shape here; the generated files are
 * committed, so neither a build nor a packaging step depends on this script.
 *
 * Why hand-drawn and not an image library: the glyphs are a few rounded squares and bars, and a
 * PNG is a zlib stream with CRCs, both in node:zlib. Shapes are described as signed-distance
 * functions in a 16-unit "point" space and rasterised with 4x4 supersampling, so one description
 * gives crisp 1x and 2x images with anti-aliased edges.
 *
 * Template images (macOS): black pixels with alpha only. macOS recolours them for light and dark
 * menu bars and for the highlighted state, which is why the state is told by shape, not colour.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const iconsDir = path.join(projectRoot, 'resources', 'icons');

/** Number of frames of the "starting" animation; electron/main/trayIcon.ts must agree. */
export const STARTING_FRAMES = 4;

// ---------------------------------------------------------------------------------------------
// PNG encoding (RGBA, 8 bits per channel, no interlace)
// ---------------------------------------------------------------------------------------------

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/** `rgba` holds width*height*4 bytes, rows top to bottom. */
export function encodePng(width, height, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type: RGBA
  header[10] = 0; // compression
  header[11] = 0; // filter method
  header[12] = 0; // no interlace
  // Each scanline starts with its filter type; 0 (None) keeps the encoder trivial and zlib
  // still compresses these mostly empty images to a few hundred bytes.
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y += 1) {
    raw[y * (width * 4 + 1)] = 0;
    Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Shapes as signed distance functions (negative inside), in a 16x16 point space
// ---------------------------------------------------------------------------------------------

function roundedBox(cx, cy, halfW, halfH, radius) {
  return (x, y) => {
    const qx = Math.abs(x - cx) - (halfW - radius);
    const qy = Math.abs(y - cy) - (halfH - radius);
    const outside = Math.hypot(Math.max(qx, 0), Math.max(qy, 0));
    return outside + Math.min(Math.max(qx, qy), 0) - radius;
  };
}

/** The outline of a shape: a band `width` wide centred on its edge. */
function stroke(shape, width) {
  return (x, y) => Math.abs(shape(x, y)) - width / 2;
}

function segment(ax, ay, bx, by, thickness) {
  return (x, y) => {
    const px = x - ax;
    const py = y - ay;
    const dx = bx - ax;
    const dy = by - ay;
    const t = Math.max(0, Math.min(1, (px * dx + py * dy) / (dx * dx + dy * dy)));
    return Math.hypot(px - dx * t, py - dy * t) - thickness / 2;
  };
}

const union = (...shapes) => (x, y) => Math.min(...shapes.map((shape) => shape(x, y)));
const intersect = (a, b) => (x, y) => Math.max(a(x, y), b(x, y));
const subtract = (a, b) => (x, y) => Math.max(a(x, y), -b(x, y));

/** Half-plane test for one quadrant around (cx, cy), quadrant 0 top-left, then clockwise. */
function quadrant(cx, cy, index) {
  const signs = [
    [-1, -1],
    [1, -1],
    [1, 1],
    [-1, 1],
  ][index % 4];
  return (x, y) => Math.max(-(x - cx) * signs[0], -(y - cy) * signs[1]);
}

// The "builder": a rounded square of 12 points, centred in the 16-point menu-bar slot. Edges sit
// on whole points (the outline is the band 2..3 and 13..14) so both 1x and 2x stay crisp.
const box = roundedBox(8, 8, 6, 6, 2.25);
const outline = stroke(roundedBox(8, 8, 5.5, 5.5, 1.75), 1);
const inner = roundedBox(8, 8, 4, 4, 0.75);

export const trayGlyphs = {
  // Ready: solid, the one state that means "builds can go here".
  ready: box,
  // Stopped: an empty outline, like an unlit light.
  stopped: outline,
  // Stopping: the outline with a small solid square in it (the universal "stop" mark).
  stopping: union(outline, roundedBox(8, 8, 2, 2, 0.5)),
  // Error: the outline crossed out.
  error: union(outline, segment(5.4, 5.4, 10.6, 10.6, 1.5), segment(10.6, 5.4, 5.4, 10.6, 1.5)),
};

/** Starting: the outline with one filled quarter that moves round clockwise, frame by frame. */
export function startingGlyph(frame) {
  return union(outline, intersect(inner, quadrant(8, 8, frame)));
}

// ---------------------------------------------------------------------------------------------
// Rasterising
// ---------------------------------------------------------------------------------------------

const SUPERSAMPLE = 4;

/** Coverage in [0, 1] of each pixel by `shape`, for a `size`-pixel image of the 16-point space. */
function coverage(shape, size, points = 16) {
  const scale = points / size;
  const out = new Float64Array(size * size);
  for (let py = 0; py < size; py += 1) {
    for (let px = 0; px < size; px += 1) {
      let inside = 0;
      for (let sy = 0; sy < SUPERSAMPLE; sy += 1) {
        for (let sx = 0; sx < SUPERSAMPLE; sx += 1) {
          const x = (px + (sx + 0.5) / SUPERSAMPLE) * scale;
          const y = (py + (sy + 0.5) / SUPERSAMPLE) * scale;
          if (shape(x, y) <= 0) inside += 1;
        }
      }
      out[py * size + px] = inside / (SUPERSAMPLE * SUPERSAMPLE);
    }
  }
  return out;
}

function templateImage(shape, size) {
  const cover = coverage(shape, size);
  const rgba = new Uint8Array(size * size * 4);
  for (let i = 0; i < cover.length; i += 1) rgba[i * 4 + 3] = Math.round(cover[i] * 255);
  return encodePng(size, size, rgba);
}

/**
 * The app icon: a macOS-style rounded tile (dark slate, lighter at the top) carrying the
 * white builder glyph with a soft "ready" dot, on a transparent 1024x1024 canvas.
 */
function appIcon() {
  const size = 1024;
  // Work in a 1024-unit space so the tile follows Apple's grid (824 px tile, 100 px margin).
  const tile = roundedBox(512, 512, 412, 412, 185);
  const glyph = subtract(roundedBox(512, 512, 230, 230, 70), roundedBox(512, 512, 150, 150, 34));
  const core = roundedBox(512, 512, 96, 96, 22);
  const tileCover = coverage(tile, size, size);
  const glyphCover = coverage(glyph, size, size);
  const coreCover = coverage(core, size, size);
  const rgba = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y += 1) {
    const t = y / size;
    // Top to bottom gradient, slate blue.
    const bg = [Math.round(52 - 24 * t), Math.round(72 - 30 * t), Math.round(110 - 40 * t)];
    for (let x = 0; x < size; x += 1) {
      const i = y * size + x;
      const fg = Math.max(glyphCover[i], 0);
      const dot = coreCover[i];
      // Glyph in near-white, the centre in a calm green: the builder, ready.
      let r = bg[0] * (1 - fg) + 245 * fg;
      let g = bg[1] * (1 - fg) + 247 * fg;
      let b = bg[2] * (1 - fg) + 250 * fg;
      r = r * (1 - dot) + 88 * dot;
      g = g * (1 - dot) + 204 * dot;
      b = b * (1 - dot) + 132 * dot;
      rgba[i * 4] = Math.round(r);
      rgba[i * 4 + 1] = Math.round(g);
      rgba[i * 4 + 2] = Math.round(b);
      rgba[i * 4 + 3] = Math.round(tileCover[i] * 255);
    }
  }
  return encodePng(size, size, rgba);
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/** Temp file then rename, so an interrupted run never leaves a truncated icon behind. */
function writeAtomically(file, bytes) {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, bytes, { mode: 0o644 });
  renameSync(temp, file);
}

/**
 * Every tray image, keyed by its file name in resources/icons. Exported so a unit test can check
 * the committed files are what this script draws today.
 */
export function renderTrayIcons() {
  const images = new Map();
  const addPair = (baseName, shape) => {
    images.set(`${baseName}Template.png`, templateImage(shape, 16));
    images.set(`${baseName}Template@2x.png`, templateImage(shape, 32));
  };
  for (const [state, shape] of Object.entries(trayGlyphs)) addPair(`tray-${state}`, shape);
  // "starting" has no still image: it is always shown as its frames (electron/main/trayIcon.ts).
  for (let frame = 0; frame < STARTING_FRAMES; frame += 1) addPair(`tray-starting-${frame}`, startingGlyph(frame));
  return images;
}

function main() {
  mkdirSync(iconsDir, { recursive: true });
  for (const [name, bytes] of renderTrayIcons()) writeAtomically(path.join(iconsDir, name), bytes);
  writeAtomically(path.join(projectRoot, 'build', 'icon.png'), appIcon());
  console.log(`Wrote tray icons to ${path.relative(projectRoot, iconsDir)}/ and build/icon.png`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
