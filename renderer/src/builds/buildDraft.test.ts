import { describe, expect, it } from 'vitest';
import { checkBuildDraft, emptyBuildDraft } from './buildDraft.js';

describe('the Build form', () => {
  it('turns an absolute .nix path and an attribute into a file target', () => {
    expect(checkBuildDraft({ ...emptyBuildDraft, file: ' /home/u/job.nix ', attr: 'hello' })).toEqual({
      ok: true,
      target: { kind: 'file', file: '/home/u/job.nix', attr: 'hello' },
    });
    expect(checkBuildDraft({ ...emptyBuildDraft, file: '/home/u/job.nix' })).toEqual({
      ok: true,
      target: { kind: 'file', file: '/home/u/job.nix' },
    });
  });

  it("shows the schema's message for a relative path and for an attribute starting with -", () => {
    const relative = checkBuildDraft({ ...emptyBuildDraft, file: 'job.nix' });
    expect(relative).toEqual({ ok: false, errors: { file: 'an absolute path to a .nix file' } });
    const dashed = checkBuildDraft({ ...emptyBuildDraft, file: '/job.nix', attr: '--option' });
    expect(dashed).toEqual({ ok: false, errors: { attr: 'an attribute must not start with "-"' } });
  });

  it('refuses an installable that Nix would read as an option', () => {
    expect(checkBuildDraft({ ...emptyBuildDraft, kind: 'installable', installable: '--store' })).toEqual({
      ok: false,
      errors: { installable: 'an installable must not start with "-"' },
    });
    expect(checkBuildDraft({ ...emptyBuildDraft, kind: 'installable', installable: 'nixpkgs#hello' })).toEqual({
      ok: true,
      target: { kind: 'installable', installable: 'nixpkgs#hello' },
    });
  });

  it('is not ready, without a message, while nothing is typed', () => {
    expect(checkBuildDraft(emptyBuildDraft)).toEqual({ ok: false, errors: {} });
    expect(checkBuildDraft({ ...emptyBuildDraft, kind: 'installable', file: 'ignored' })).toEqual({ ok: false, errors: {} });
  });
});
