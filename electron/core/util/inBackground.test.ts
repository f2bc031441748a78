import { describe, expect, it } from 'vitest';
import { inBackground } from './inBackground.js';

describe('inBackground', () => {
  it('reports a failure with what was being done, and nothing when the work succeeds', async () => {
    const reported: string[] = [];
    inBackground(Promise.reject(new Error('EROFS: read-only file system')), 'Checking remote builders', (text) => reported.push(text));
    inBackground(Promise.resolve('fine'), 'Polling', (text) => reported.push(text));
    inBackground(Promise.reject('a bare string'), 'Recomputing', (text) => reported.push(text));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(reported).toEqual(['Checking remote builders failed: EROFS: read-only file system', 'Recomputing failed: a bare string']);
  });
});
