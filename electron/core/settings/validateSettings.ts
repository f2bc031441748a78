/**
 * Settings validation: the contract's schema, then what only this host can tell (cores and
 * memory it has). Every refusal names the field and says why, so the UI can show it inline
 * and the CLI can print it.
 */
import os from 'node:os';
import { SettingsSchema, type Settings } from '../../ipc/contract.js';

export interface HostLimits {
  cpus: number;
  memoryMiB: number;
}

export function hostLimits(): HostLimits {
  return { cpus: os.cpus().length, memoryMiB: Math.floor(os.totalmem() / (1024 * 1024)) };
}

export interface FieldProblem {
  field: string;
  message: string;
}

export type Validation = { ok: true; settings: Settings } | { ok: false; problems: FieldProblem[] };

export function validateSettings(candidate: unknown, limits: HostLimits): Validation {
  const parsed = SettingsSchema.safeParse(candidate);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => ({
        field: issue.path.join('.') || '(settings)',
        message: issue.message,
      })),
    };
  }
  const settings = parsed.data;
  const problems: FieldProblem[] = [];
  if (settings.cpus > limits.cpus) {
    problems.push({ field: 'cpus', message: `this machine has ${limits.cpus} cores; the builder can have at most that many` });
  }
  // Leave the host at least 512 MiB, or the VM and the host fight over memory.
  const maxMemory = Math.max(512, limits.memoryMiB - 512);
  if (settings.memoryMiB > maxMemory) {
    problems.push({
      field: 'memoryMiB',
      message: `this machine has ${limits.memoryMiB} MiB; give the builder at most ${maxMemory} MiB`,
    });
  }
  return problems.length ? { ok: false, problems } : { ok: true, settings };
}

export function describeProblems(problems: FieldProblem[]): string {
  return problems.map((p) => `${p.field}: ${p.message}`).join('; ');
}
