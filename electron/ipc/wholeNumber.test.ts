import { describe, expect, it } from 'vitest';
import { SettingsPatchSchema } from './contract.js';

const problems = (patch: unknown): string[] => {
  const parsed = SettingsPatchSchema.safeParse(patch);
  return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};

describe('whole-number settings', () => {
  it('say one thing each, in words, for a value out of range, a fraction or not a number', () => {
    expect(problems({ memoryMiB: 1e99 })).toEqual(['memoryMiB: at most 256 GiB']);
    expect(problems({ memoryMiB: 100 })).toEqual(['memoryMiB: at least 512 MiB']);
    expect(problems({ memoryMiB: 1024.5 })).toEqual(['memoryMiB: a whole number']);
    expect(problems({ memoryMiB: 'lots' })).toEqual(['memoryMiB: a number']);
    expect(problems({ hostPort: 70_000 })).toEqual(['hostPort: at most 65535']);
    expect(problems({ restartPolicy: { maxPerMinute: 1e20 } })).toEqual(['restartPolicy.maxPerMinute: at most 6 restarts a minute']);
  });

  it('take a whole number within the bounds', () => {
    expect(problems({ memoryMiB: 2048, cpus: 2, hostPort: 31022, idleStopMinutes: 30 })).toEqual([]);
  });
});
