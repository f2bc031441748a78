import { describe, expect, it } from 'vitest';
import { unifiedDiff } from './unifiedDiff.js';

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('/f', 'a\n', 'a\n')).toBe('');
  });
  it('shows a new file against /dev/null', () => {
    expect(unifiedDiff('/etc/x', null, 'a\nb\n')).toBe('--- /dev/null\n+++ b/etc/x\n@@ -0,0 +1,2 @@\n+a\n+b\n');
  });
  it('shows an appended block with three lines of context', () => {
    const before = '1\n2\n3\n4\n5\n';
    expect(unifiedDiff('/f', before, `${before}x\n`)).toBe('--- a/f\n+++ b/f\n@@ -3,3 +3,4 @@\n 3\n 4\n 5\n+x\n');
  });
  it('shows a replaced line', () => {
    expect(unifiedDiff('/f', 'a\nb\nc\n', 'a\nB\nc\n')).toBe('--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n');
  });
});
