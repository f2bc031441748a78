import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { STARTING_FRAMES, renderTrayIcons } from '../../build/generate-icons.mjs';
import type { Status, VmState } from '../ipc/contract.js';
import {
  STARTING_FRAME_COUNT,
  shouldAnimate,
  trayClickAction,
  trayIconFile,
  trayIconPath,
  trayMenuAttachment,
  trayTooltip,
} from './trayIcon.js';
import { initialStatus } from '../ipc/initialStatus.js';

const iconsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../resources/icons');
const STATES: VmState[] = ['stopped', 'starting', 'ready', 'stopping', 'error'];

/** Width, height and the alpha channel of one of our RGBA PNGs (read by hand, no library). */
function readTemplatePng(file: string): { width: number; height: number; pixels: Buffer } {
  const bytes = readFileSync(file);
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let offset = 8;
  let width = 0;
  let height = 0;
  const data: Buffer[] = [];
  while (offset < bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('ascii', offset + 4, offset + 8);
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      expect(body[8]).toBe(8); // 8 bits per channel
      expect(body[9]).toBe(6); // RGBA
    }
    if (type === 'IDAT') data.push(body);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(data));
  const pixels = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y += 1) {
    expect(raw[y * (width * 4 + 1)]).toBe(0); // filter None, as the generator writes
    raw.copy(pixels, y * width * 4, y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1));
  }
  return { width, height, pixels };
}

function baseStatus(state: VmState, sshPort: number | null = null): Status {
  return { ...initialStatus('linux-test', 0), state, detail: '', sshPort };
}

describe('tray icon files', () => {
  const everyIcon = [
    ...STATES.filter((state) => state !== 'starting').map((state) => trayIconFile(state)),
    ...Array.from({ length: STARTING_FRAME_COUNT }, (_, frame) => trayIconFile('starting', frame)),
  ];

  it.each(everyIcon)('%s exists at 16x16 and 32x32 (@2x) as a black-on-transparent template', (name) => {
    const oneX = readTemplatePng(path.join(iconsDir, name));
    const twoX = readTemplatePng(path.join(iconsDir, name.replace('.png', '@2x.png')));
    expect([oneX.width, oneX.height]).toEqual([16, 16]);
    expect([twoX.width, twoX.height]).toEqual([32, 32]);
    for (const image of [oneX, twoX]) {
      let opaque = 0;
      for (let i = 0; i < image.pixels.length; i += 4) {
        // Template images carry shape in alpha only; any colour would be thrown away by macOS.
        expect([image.pixels[i], image.pixels[i + 1], image.pixels[i + 2]]).toEqual([0, 0, 0]);
        if (image.pixels[i + 3]! > 128) opaque += 1;
      }
      expect(opaque).toBeGreaterThan(image.width); // a visible glyph, not an empty image
    }
  });

  it('are what build/generate-icons.mjs draws today (regenerate and commit after a change)', () => {
    const rendered = renderTrayIcons();
    expect([...rendered.keys()].sort()).toEqual(everyIcon.flatMap((name) => [name, name.replace('.png', '@2x.png')]).sort());
    for (const [name, bytes] of rendered) expect(readFileSync(path.join(iconsDir, name)).equals(bytes), name).toBe(true);
    expect(STARTING_FRAMES).toBe(STARTING_FRAME_COUNT);
  });

  it('draws each state differently, so the state is visible in the menu bar', () => {
    const alphas = everyIcon.map((name) => readTemplatePng(path.join(iconsDir, name.replace('.png', '@2x.png'))).pixels.toString('base64'));
    expect(new Set(alphas).size).toBe(everyIcon.length);
  });
});

describe('trayIconFile', () => {
  it('names one template image per state', () => {
    expect(trayIconFile('ready')).toBe('tray-readyTemplate.png');
    expect(trayIconFile('stopped')).toBe('tray-stoppedTemplate.png');
    expect(trayIconFile('error')).toBe('tray-errorTemplate.png');
    expect(trayIconPath('/icons', 'stopping')).toBe(path.join('/icons', 'tray-stoppingTemplate.png'));
  });

  it('cycles through the starting frames', () => {
    const names = Array.from({ length: STARTING_FRAME_COUNT * 2 }, (_, frame) => trayIconFile('starting', frame));
    expect(names.slice(0, STARTING_FRAME_COUNT)).toEqual(names.slice(STARTING_FRAME_COUNT));
    expect(new Set(names).size).toBe(STARTING_FRAME_COUNT);
    expect(trayIconFile('starting', -1)).toBe(trayIconFile('starting', STARTING_FRAME_COUNT - 1));
  });
});

describe('tray behaviour', () => {
  it('animates only while starting', () => {
    expect(STATES.filter(shouldAnimate)).toEqual(['starting']);
  });

  it('starts a stopped builder on click and opens the menu otherwise', () => {
    expect(trayClickAction('stopped')).toBe('start');
    for (const state of ['starting', 'ready', 'stopping', 'error'] as const) expect(trayClickAction(state)).toBe('open-menu');
  });

  it('pops the menu up by hand on macOS (so clicks arrive) and attaches it on Linux', () => {
    expect(trayMenuAttachment('darwin')).toBe('pop-up-on-click');
    expect(trayMenuAttachment('linux')).toBe('context-menu');
  });

  it('says in the tooltip what a click will do', () => {
    expect(trayTooltip(baseStatus('stopped'))).toBe('Builder Bar: builder stopped — click to start');
    expect(trayTooltip(baseStatus('ready', 31022))).toBe('Builder Bar: builder ready on 127.0.0.1:31022');
  });
});
