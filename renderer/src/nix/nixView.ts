/**
 * What the Nix panel says, as pure functions of the core's replies, so the words and the
 * "may Apply" rule are tested without a browser.
 */
import type { RequestOutput } from '../api/contract.js';
import { requests } from '../api/contract.js';

export type NixDetection = RequestOutput<'nix.detect'>;
export type WiringPlanView = RequestOutput<'nix.plan'>;
export type VerifyResult = RequestOutput<'nix.verify'>;

export interface Fact {
  label: string;
  value: string;
}

export function detectionFacts(detection: NixDetection): Fact[] {
  if (!detection.found) return [{ label: 'Nix', value: 'not found' }];
  const facts: Fact[] = [
    { label: 'Nix', value: `${detection.version ?? 'unknown version'}${detection.determinate ? ' (Determinate)' : ''}` },
    { label: 'Mode', value: detection.mode === 'daemon' ? 'daemon (multi-user)' : detection.mode === 'single-user' ? 'single-user' : 'unknown' },
    {
      label: 'Trusted',
      value: detection.trusted === null ? 'unknown' : detection.trusted ? `yes (${detection.user})` : `no: ${detection.user} is not in trusted-users`,
    },
  ];
  // Counted by the core: the other-builder problems name only the first few (boundedList.ts).
  const others = detection.otherBuilders;
  facts.push({ label: 'Other builders', value: others === 0 ? 'none' : others.toLocaleString('en-US') });
  return facts;
}

/** Apply only writes a plan that changes something, has no problems, and a Nix that can use it. */
export function canApply(plan: WiringPlanView | null, detection: NixDetection | null): boolean {
  if (!plan || !plan.changes || plan.problems.length > 0 || plan.needsAdmin) return false;
  return !(detection?.problems.some((problem) => problem.blocking) ?? false);
}

/** "built on builder-bar: Linux version 6.1.0-…" or the cause in words. */
export function verifyHeadline(result: VerifyResult): string {
  if (result.ok) {
    const kernel = result.guestKernel.split(' ').slice(0, 3).join(' ');
    return `Built on ${result.guestHostname}: ${kernel} (${result.seconds} s), not on ${result.hostHostname}.`;
  }
  return result.failure.message;
}

/** The schema's own message for a conf dir the core would refuse, or null when it is fine. */
export function confDirError(confDir: string): string | null {
  if (confDir === '') return null;
  const parsed = requests['nix.plan'].input.safeParse({ confDir });
  return parsed.success ? null : (parsed.error.issues[0]?.message ?? 'not a usable directory');
}

/** The Mac's system target is the default there; elsewhere a directory in the state dir. */
export function defaultConfDir(platform: string, stateDir: string): string {
  return platform.startsWith('darwin') ? '' : `${stateDir.replace(/\/+$/, '')}/nix-conf`;
}
