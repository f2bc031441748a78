import { mkdtempSync, rmSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { builderEntries, buildersWithOurs, effectiveBuilders, readConfFiles, userConfFiles, type ConfFileContent } from './effectiveBuilders.js';

/** Texts by path; `null` stands for a directory (exists, cannot be read), `denied` for a file this user may not read. */
const files = (entries: Record<string, string | null | 'denied'>) =>
  new Map<string, ConfFileContent>(
    Object.entries(entries).map(([file, text]) => [file, text === null || text === 'denied' ? { kind: 'unreadable', denied: text === 'denied' } : { kind: 'text', text }]),
  );

describe('builders entries as Nix 2.34 splits them (and 2.8 does once they are joined by a bare ";")', () => {
  it('splits on newlines and ";", trims, drops blanks and comments (an @file\'s text is split the same way)', () => {
    expect(builderEntries('ssh://a x86_64-linux ; @/m ;;\n# a comment; not an entry\nssh://b - - 2 # tail')).toEqual(['ssh://a x86_64-linux', '@/m', 'ssh://b - - 2']);
  });
  it('restates theirs in order and ours once, last, with no space after any ";"', () => {
    expect(buildersWithOurs(['ssh://me@far-away x86_64-linux - 1 1', '@ /ours', '@/theirs'], '/ours')).toBe('ssh://me@far-away x86_64-linux - 1 1;@/theirs;@/ours');
    expect(buildersWithOurs([], '/ours')).toBe('@/ours');
  });
});

describe('effectiveBuilders over files already read', () => {
  it('follows includes in reading order, the last builders line wins, and says where it is', () => {
    const result = effectiveBuilders(
      '/c/nix.conf',
      files({ '/c/nix.conf': 'builders = ssh://one\ninclude d/x.conf\n', '/c/d/x.conf': 'builders = ssh://two ;  @/m\n!include gone.conf\n' }),
      '@/c/machines',
    );
    expect(result).toMatchObject({ value: 'ssh://two ; @/m', entries: ['ssh://two', '@/m'], setAt: { path: '/c/d/x.conf', lineNumber: 1 }, files: ['/c/nix.conf', '/c/d/x.conf'], problems: [] });
  });
  it('an included directory (exists, cannot be read) is skipped without a problem, as Nix does', () => {
    const result = effectiveBuilders('/c/nix.conf', files({ '/c/nix.conf': 'builders = ssh://one\ninclude x.conf\n', '/c/x.conf': null }), '@/c/machines');
    expect(result.problems).toEqual([]);
    expect(result.value).toBe('ssh://one');
  });
  it('an included file this user may not read is a problem: root\'s daemon may read it, and it may set builders', () => {
    const result = effectiveBuilders('/c/nix.conf', files({ '/c/nix.conf': 'include x.conf\n', '/c/x.conf': 'denied' }), '@/c/machines');
    expect(result.problems.map((problem) => problem.path)).toEqual(['/c/x.conf']);
    expect(result.problems[0]!.message).toContain('may not read it');
  });
  it('unset: Nix\'s default, and no line to point at', () => {
    expect(effectiveBuilders('/c/nix.conf', files({ '/c/nix.conf': '' }), '@/c/machines')).toMatchObject({ value: '@/c/machines', setAt: null, entries: ['@/c/machines'] });
  });
});

describe('readConfFiles', () => {
  it('reads the main text given, then every include transitively (relative to the including file), marking the missing ones', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bb-readconf-'));
    try {
      await fs.mkdir(path.join(dir, 'sub'));
      await fs.writeFile(path.join(dir, 'sub', 'a.conf'), 'include ../b.conf\n!include nope.conf\n');
      await fs.writeFile(path.join(dir, 'b.conf'), 'builders = ssh://b\n');
      const main = path.join(dir, 'nix.conf');
      const read = await readConfFiles(main, 'include sub/a.conf\ninclude sub\n');
      expect([...read.entries()]).toEqual([
        [main, { kind: 'text', text: 'include sub/a.conf\ninclude sub\n' }],
        [path.join(dir, 'sub', 'a.conf'), { kind: 'text', text: 'include ../b.conf\n!include nope.conf\n' }],
        // A directory exists (so it is no missing include) but cannot be read: Nix skips it.
        [path.join(dir, 'sub'), { kind: 'unreadable', denied: false }],
        [path.join(dir, 'b.conf'), { kind: 'text', text: 'builders = ssh://b\n' }],
        [path.join(dir, 'sub', 'nope.conf'), { kind: 'missing' }],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('userConfFiles: what a client Nix reads after nix.conf, in reading order (the last wins; checked on Nix 2.8 and 2.34)', () => {
  it('XDG_CONFIG_DIRS first, then XDG_CONFIG_HOME (default ~/.config)', () => {
    expect(userConfFiles({ HOME: '/home/me', XDG_CONFIG_DIRS: '/a:/b' })).toEqual(['/b/nix/nix.conf', '/a/nix/nix.conf', '/home/me/.config/nix/nix.conf']);
    expect(userConfFiles({ HOME: '/home/me', XDG_CONFIG_HOME: '/cfg' })).toEqual(['/etc/xdg/nix/nix.conf', '/cfg/nix/nix.conf']);
  });
  it('NIX_USER_CONF_FILES replaces them; its first file wins', () => {
    expect(userConfFiles({ HOME: '/home/me', NIX_USER_CONF_FILES: '/one:/two' })).toEqual(['/two', '/one']);
    expect(userConfFiles({ HOME: '/home/me', NIX_USER_CONF_FILES: '' })).toEqual([]);
  });
});
