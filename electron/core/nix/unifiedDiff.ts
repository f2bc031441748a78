/**
 * A unified diff (`--- a`, `+++ b`, `@@` hunks, 3 lines of context) so plan shows exactly what
 * apply will write. The files are small config files, so a plain LCS table is enough.
 */
const CONTEXT = 3;

type Op = { kind: ' ' | '-' | '+'; text: string; oldLine: number; newLine: number };

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function diffOps(before: string[], after: string[]): Op[] {
  const n = before.length;
  const m = after.length;
  const table: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i -= 1) {
    for (let j = m - 1; j >= 0; j -= 1) {
      const row = table[i]!;
      row[j] = before[i] === after[j] ? table[i + 1]![j + 1]! + 1 : Math.max(table[i + 1]![j]!, row[j + 1]!);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && before[i] === after[j]) {
      ops.push({ kind: ' ', text: before[i]!, oldLine: i, newLine: j });
      i += 1;
      j += 1;
    } else if (i < n && (j >= m || table[i + 1]![j]! >= table[i]![j + 1]!)) {
      // Removals before additions, as diff(1) prints them.
      ops.push({ kind: '-', text: before[i]!, oldLine: i, newLine: j });
      i += 1;
    } else {
      ops.push({ kind: '+', text: after[j]!, oldLine: i, newLine: j });
      j += 1;
    }
  }
  return ops;
}

/** Empty when the texts are equal. `before` null means the file does not exist yet. */
export function unifiedDiff(filePath: string, before: string | null, after: string | null): string {
  if (before === after) return '';
  const ops = diffOps(splitLines(before ?? ''), splitLines(after ?? ''));
  const changed = ops.map((op, index) => (op.kind === ' ' ? -1 : index)).filter((index) => index >= 0);
  if (changed.length === 0) {
    // Only the trailing newline differs.
    return `--- ${before === null ? '/dev/null' : `a${filePath}`}\n+++ ${after === null ? '/dev/null' : `b${filePath}`}\n\\ newline at end of file differs\n`;
  }
  const hunks: Array<[number, number]> = [];
  for (const index of changed) {
    const start = Math.max(0, index - CONTEXT);
    const end = Math.min(ops.length - 1, index + CONTEXT);
    const last = hunks[hunks.length - 1];
    if (last && start <= last[1] + 1) last[1] = Math.max(last[1], end);
    else hunks.push([start, end]);
  }
  const out = [`--- ${before === null ? '/dev/null' : `a${filePath}`}`, `+++ ${after === null ? '/dev/null' : `b${filePath}`}`];
  for (const [start, end] of hunks) {
    const slice = ops.slice(start, end + 1);
    const oldCount = slice.filter((op) => op.kind !== '+').length;
    const newCount = slice.filter((op) => op.kind !== '-').length;
    const first = slice[0]!;
    const oldStart = oldCount === 0 ? first.oldLine : first.oldLine + 1;
    const newStart = newCount === 0 ? first.newLine : first.newLine + 1;
    out.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`);
    for (const op of slice) out.push(`${op.kind}${op.text}`);
  }
  return `${out.join('\n')}\n`;
}
