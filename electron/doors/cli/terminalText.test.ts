import { describe, expect, it } from 'vitest';
import { formatLogLine } from './formatLogs.js';
import { keepingColors, printable } from './terminalText.js';

describe('text on its way to a terminal', () => {
  it('keeps a build log line\'s colours and tabs, as the Logs window shows them', () => {
    const nix = '\u001b[31;1merror:\u001b[0m builder for \u001b[35;1m/nix/store/x.drv\u001b[0m failed\twith exit code 1';
    expect(keepingColors(nix)).toBe(nix);
  });

  it('shows every other control sequence a build could print as text: title, clipboard, cursor, carriage return', () => {
    const hostile = 'ok\u001b]0;pwned\u0007 \u001b]52;c;cm0gLXJmIH4=\u0007 \u001b[2K\u001b[1A\rrm -rf done \u009b31m';
    expect(keepingColors(hostile)).toBe('ok\\x1b]0;pwned\\x07 \\x1b]52;c;cm0gLXJmIH4=\\x07 \\x1b[2K\\x1b[1A\\x0drm -rf done \\x9b31m');
    expect(formatLogLine({ seq: 1, time: 0, source: 'build:b1', level: 'info', text: hostile })).not.toMatch(/[\u0000-\u0008\u000a-\u001a\u001c-\u001f\u007f-\u009f]|\u001b(?!\[[0-9;:]*m)/);
  });

  it('printable keeps no escape at all (names and subjects have no colours)', () => {
    expect(printable('caf\u00e9 \u001b[31mred\u001b[0m\n')).toBe('caf\u00e9 \\x1b[31mred\\x1b[0m\\x0a');
  });
});
