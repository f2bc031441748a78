/**
 * The recorded internal-json streams in ../fixtures, one set per Nix version they were recorded
 * from (`<case>.nix-<version>.jsonl`, written by recordFixtures.ts). Tests run over every set
 * found, oldest version first, so a Nix whose stream differs shows up as a failing title that
 * names it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const fixturesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

export const FIXTURE_CASES = ['local-success', 'local-failure', 'local-several', 'remote-success', 'remote-several', 'remote-failure'] as const;
export type FixtureCase = (typeof FIXTURE_CASES)[number];

const NAMED = /^(.+)\.nix-(\d+\.\d+[^/]*)\.jsonl$/;

/** `local-success.nix-2.8.0.jsonl`. */
export function fixtureFileName(name: string, version: string): string {
  return `${name}.nix-${version}.jsonl`;
}

export function fixtureFile(name: string, version: string): string {
  return path.join(fixturesDir, fixtureFileName(name, version));
}

function compareVersions(a: string, b: string): number {
  const x = a.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const y = b.split('.').map((part) => Number.parseInt(part, 10) || 0);
  for (let i = 0; i < Math.max(x.length, y.length); i += 1) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** Every Nix version with a recorded set, oldest first; each set must hold every case. */
export function fixtureVersions(): string[] {
  const byVersion = new Map<string, Set<string>>();
  for (const file of readdirSync(fixturesDir)) {
    const match = NAMED.exec(file);
    if (!match?.[1] || !match[2]) continue;
    byVersion.set(match[2], (byVersion.get(match[2]) ?? new Set()).add(match[1]));
  }
  for (const [version, cases] of byVersion) {
    const missing = FIXTURE_CASES.filter((name) => !cases.has(name));
    if (missing.length > 0) throw new Error(`The fixtures of Nix ${version} lack ${missing.join(', ')}: run testing/recordFixtures.ts again.`);
  }
  return [...byVersion.keys()].sort(compareVersions);
}

/** The non-empty lines of one recorded stream. */
export function fixtureLines(name: FixtureCase, version: string): string[] {
  return readFileSync(fixtureFile(name, version), 'utf8').split('\n').filter((line) => line !== '');
}

/**
 * A recorded line as a Nix with pid `pid` would have written it: activity ids are
 * `counter + (pid << 32)`, so from pid 2^21 on they pass 2^53 (Linux pids go to 4194304).
 */
export function asIfPid(line: string, pid: number): string {
  return line.replace(/"(id|parent)":(\d+)/g, (_match, key: string, digits: string) =>
    digits === '0' ? `"${key}":0` : `"${key}":${((BigInt(pid) << 32n) + (BigInt(digits) & 0xffffffffn)).toString()}`,
  );
}
