import { describe, expect, it } from 'vitest';
import { parseAnsi, plainStyle, type AnsiSegment, type AnsiStyle } from './ansi.js';
import { ansiClassName, basicIndex } from './ansiClasses.js';
// Real `nix build --log-format internal-json` output from Nix 2.8 (copied from the core's
// build fixtures): its messages carry Nix's own colour escapes.
import localFailure from './fixtures/local-failure.jsonl?raw';
import remoteFailure from './fixtures/remote-failure.jsonl?raw';
import remoteSeveral from './fixtures/remote-several.jsonl?raw';

const ESC = '\u001b';
const style = (over: Partial<AnsiStyle>): AnsiStyle => ({ ...plainStyle, ...over });
const fg = (index: number) => ({ kind: 'index' as const, index });
const text = (segments: readonly AnsiSegment[]) => segments.map((s) => s.text).join('');

/** Every string field of every `@nix` JSON line that holds an escape. */
function nixStringsWithEscapes(jsonl: string): string[] {
  const found: string[] = [];
  for (const line of jsonl.split('\n')) {
    if (!line.startsWith('@nix ')) continue;
    const event = JSON.parse(line.slice(5)) as Record<string, unknown>;
    for (const value of Object.values(event)) {
      if (typeof value === 'string' && value.includes(ESC)) found.push(value);
    }
  }
  return found;
}

describe('parseAnsi on real Nix output', () => {
  const all = [localFailure, remoteFailure, remoteSeveral].flatMap(nixStringsWithEscapes);

  it('finds the escapes the fixtures are known to hold', () => {
    expect(all.length).toBeGreaterThanOrEqual(5);
  });

  it('leaves no escape or control character in any segment, and loses no text', () => {
    for (const line of all) {
      const segments = parseAnsi(line);
      for (const segment of segments) expect(segment.text).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      expect(text(segments)).toBe(line.replace(/\u001b\[[0-9;]*m/g, ''));
    }
  });

  it("colours Nix's error line: bold red `error:`, bold magenta store path, plain the rest", () => {
    const line = all.find((l) => l.startsWith(`${ESC}[31;1merror:`) && l.includes('failed with exit code 1'));
    expect(line).toBeDefined();
    const segments = parseAnsi(line ?? '');
    expect(segments[0]).toEqual({ text: 'error:', style: style({ fg: fg(1), bold: true }) });
    expect(segments[1]).toEqual({ text: ' builder for \'', style: plainStyle });
    expect(segments[2]?.text).toMatch(/^\/nix\/store\/[a-z0-9]{32}-bb-failure\.drv$/);
    expect(segments[2]?.style).toEqual(style({ fg: fg(5), bold: true }));
    expect(segments[3]).toEqual({ text: "' failed with exit code 1", style: plainStyle });
    expect(segments.map((s) => ansiClassName(s.style))).toEqual(['ansi-bold ansi-fg-1', '', 'ansi-bold ansi-fg-5', '']);
  });

  it('drops the empty magenta run Nix emits (`ESC[35;1mESC[0m`) instead of making an empty span', () => {
    const line = all.find((l) => l.includes(`${ESC}[35;1m${ESC}[0m`));
    expect(line).toBeDefined();
    for (const segment of parseAnsi(line ?? '')) expect(segment.text).not.toBe('');
  });
});

describe('parseAnsi SGR', () => {
  it('returns a plain line as one plain segment, and an empty line as none', () => {
    expect(parseAnsi('hello\tworld')).toEqual([{ text: 'hello\tworld', style: plainStyle }]);
    expect(parseAnsi('')).toEqual([]);
  });

  it('reads bold, dim, italic, underline and their resets', () => {
    expect(parseAnsi(`${ESC}[1;2;3;4mA${ESC}[22mB${ESC}[23;24mC`)).toEqual([
      { text: 'A', style: style({ bold: true, dim: true, italic: true, underline: true }) },
      { text: 'B', style: style({ italic: true, underline: true }) },
      { text: 'C', style: plainStyle },
    ]);
  });

  it('reads normal and bright foregrounds and backgrounds, and 39/49 back to default', () => {
    expect(parseAnsi(`${ESC}[32;41mA${ESC}[95;103mB${ESC}[39mC${ESC}[49mD`)).toEqual([
      { text: 'A', style: style({ fg: fg(2), bg: fg(1) }) },
      { text: 'B', style: style({ fg: fg(13), bg: fg(11) }) },
      { text: 'C', style: style({ bg: fg(11) }) },
      { text: 'D', style: plainStyle },
    ]);
  });

  it('reads 256-colour and 24-bit colours in semicolon and colon forms', () => {
    const rgb = { kind: 'rgb' as const, r: 10, g: 20, b: 30 };
    expect(parseAnsi(`${ESC}[38;5;208mA`)[0]?.style.fg).toEqual(fg(208));
    expect(parseAnsi(`${ESC}[48;5;17mA`)[0]?.style.bg).toEqual(fg(17));
    expect(parseAnsi(`${ESC}[38;2;10;20;30mA`)[0]?.style.fg).toEqual(rgb);
    expect(parseAnsi(`${ESC}[38:2:10:20:30mA`)[0]?.style.fg).toEqual(rgb);
    expect(parseAnsi(`${ESC}[38:2::10:20:30mA`)[0]?.style.fg).toEqual(rgb);
    expect(parseAnsi(`${ESC}[48:5:9mA`)[0]?.style.bg).toEqual(fg(9));
    // The colour's own fields are consumed: the 1 after it is bold, not read as a colour.
    expect(parseAnsi(`${ESC}[38;2;1;2;3;1mA`)[0]?.style).toEqual(style({ fg: { kind: 'rgb', r: 1, g: 2, b: 3 }, bold: true }));
    expect(parseAnsi(`${ESC}[38;5;4;1mA`)[0]?.style).toEqual(style({ fg: fg(4), bold: true }));
  });

  it('ignores out-of-range and incomplete extended colours without inventing one', () => {
    expect(parseAnsi(`${ESC}[38;5;300mA`)[0]?.style).toEqual(plainStyle);
    expect(parseAnsi(`${ESC}[38;5mA`)[0]?.style).toEqual(plainStyle);
    expect(parseAnsi(`${ESC}[38;2;1;2mA`)[0]?.style).toEqual(plainStyle);
    expect(parseAnsi(`${ESC}[38mA`)[0]?.style).toEqual(plainStyle);
  });

  it('treats ESC[m and empty fields as reset, and carries state across the line', () => {
    expect(parseAnsi(`${ESC}[31mA${ESC}[mB`)).toEqual([
      { text: 'A', style: style({ fg: fg(1) }) },
      { text: 'B', style: plainStyle },
    ]);
    expect(parseAnsi(`${ESC}[31mA${ESC}[;1mB`)[1]?.style).toEqual(style({ bold: true }));
    // Colour set once, bold added later: the second run keeps the colour.
    expect(parseAnsi(`${ESC}[34mA${ESC}[1mB`)[1]?.style).toEqual(style({ fg: fg(4), bold: true }));
  });

  it('merges runs whose style did not really change', () => {
    expect(parseAnsi(`${ESC}[31mA${ESC}[31mB${ESC}[5mC`)).toEqual([{ text: 'ABC', style: style({ fg: fg(1) }) }]);
  });
});

describe('parseAnsi drops everything that is not a colour', () => {
  it('drops cursor moves, erase-line and private modes', () => {
    expect(text(parseAnsi(`${ESC}[2K${ESC}[1Gbuilding${ESC}[K ${ESC}[?25lok${ESC}[?25h${ESC}[3A`))).toBe('building ok');
    // A private-mode sequence that happens to end in m is not a colour.
    expect(parseAnsi(`${ESC}[>4;1mA`)).toEqual([{ text: 'A', style: plainStyle }]);
  });

  it('drops OSC titles and hyperlinks ended by BEL or ST, keeping the link text', () => {
    expect(text(parseAnsi(`${ESC}]0;my title\u0007after`))).toBe('after');
    expect(text(parseAnsi(`${ESC}]8;;https://example.org${ESC}\\link${ESC}]8;;${ESC}\\ end`))).toBe('link end');
  });

  it('drops DCS strings, charset selects and two-character escapes', () => {
    expect(text(parseAnsi(`a${ESC}P1$r0m${ESC}\\b${ESC}(Bc${ESC}7d${ESC}8e${ESC}=f`))).toBe('abcdef');
  });

  it('drops carriage returns, backspaces, BEL, DEL and stray C1 controls, keeps tabs', () => {
    expect(text(parseAnsi('a\rb\bc\u0007d\u007fe\u0085f\tg'))).toBe('abcdef\tg');
  });

  it('reads the 8-bit CSI and OSC forms', () => {
    expect(parseAnsi('\u009b31mred')).toEqual([{ text: 'red', style: style({ fg: fg(1) }) }]);
    expect(text(parseAnsi('\u009d0;title\u0007x'))).toBe('x');
  });
});

describe('parseAnsi on truncated and broken escapes', () => {
  it('drops an escape cut off at the end of the line', () => {
    expect(parseAnsi(`ok${ESC}`)).toEqual([{ text: 'ok', style: plainStyle }]);
    expect(parseAnsi(`ok${ESC}[`)).toEqual([{ text: 'ok', style: plainStyle }]);
    expect(parseAnsi(`ok${ESC}[38;5;2`)).toEqual([{ text: 'ok', style: plainStyle }]);
    expect(parseAnsi(`ok${ESC}]0;unterminated title`)).toEqual([{ text: 'ok', style: plainStyle }]);
  });

  it('keeps a line whose first escape lost its ESC as text, minus nothing else', () => {
    // The ring buffer cut the line after the ESC: the rest is ordinary text.
    expect(parseAnsi(`[31;1merror:${ESC}[0m x`)).toEqual([{ text: '[31;1merror: x', style: plainStyle }]);
  });

  it('recovers after a sequence broken by a control character', () => {
    expect(parseAnsi(`${ESC}[31\nA${ESC}[32mB`)).toEqual([
      { text: 'A', style: plainStyle },
      { text: 'B', style: style({ fg: fg(2) }) },
    ]);
    expect(parseAnsi(`${ESC}${ESC}[33mC`)).toEqual([{ text: 'C', style: style({ fg: fg(3) }) }]);
  });

  it('survives absurd parameters', () => {
    expect(parseAnsi(`${ESC}[99999999999999999999;31mA`)).toEqual([{ text: 'A', style: style({ fg: fg(1) }) }]);
    expect(parseAnsi(`${ESC}[${';'.repeat(10_000)}mA`)).toEqual([{ text: 'A', style: plainStyle }]);
  });
});

describe('ansiClassName', () => {
  it('names the plain style with no class', () => {
    expect(ansiClassName(plainStyle)).toBe('');
  });

  it('maps extended colours to the nearest of the 16 themed ones', () => {
    expect(basicIndex(fg(196))).toBe(9); // pure red in the cube
    expect(basicIndex(fg(21))).toBe(4); // pure blue in the cube, nearest xterm's blue (0,0,238)
    expect(basicIndex(fg(232))).toBe(0); // darkest grey
    expect(basicIndex(fg(255))).toBe(7); // lightest grey (238) is nearer white-ish 7 (229) than 15 (255)
    expect(basicIndex({ kind: 'rgb', r: 0, g: 200, b: 10 })).toBe(2);
    expect(ansiClassName(style({ fg: fg(208), bg: { kind: 'rgb', r: 250, g: 250, b: 250 }, underline: true }))).toBe(
      // 208 is orange (255,135,0): nearest is the normal yellow (205,205,0).
      'ansi-underline ansi-fg-3 ansi-bg-15',
    );
  });
});
