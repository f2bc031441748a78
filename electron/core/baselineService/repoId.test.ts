import { describe, expect, it } from 'vitest';
import { TrackedRepoIdSchema } from '../../ipc/contract.js';
import { repoIdFor } from './repoId.js';

describe('repoIdFor', () => {
  it('slugs the directory name and stays valid for the contract', () => {
    for (const [dir, id] of [
      ['/src/My App', 'my-app'],
      ['/src/--weird..$(name);', 'weird-name'],
      ['/src/日本', 'repo'],
      ['/src/' + 'x'.repeat(80), 'x'.repeat(34)],
    ] as const) {
      expect(repoIdFor(dir, [])).toBe(id);
      expect(TrackedRepoIdSchema.safeParse(repoIdFor(dir, [])).success).toBe(true);
    }
  });

  it('numbers a name that is taken', () => {
    expect(repoIdFor('/a/app', ['app'])).toBe('app-2');
    expect(repoIdFor('/b/app', ['app', 'app-2'])).toBe('app-3');
  });
});
