/**
 * The plan as a door may send it. Built field by field, never by spreading the plan, so the
 * new content of every file (the client private key among them) cannot ride along: a door
 * shows the diffs, and the key's diff only names the file. The nix-darwin configuration holds
 * the key's path, never the key.
 */
import type { WiringPlanView } from '../../ipc/contract.js';
import type { WiringPlan } from './planWiring.js';
import { describeTarget } from './wiringTarget.js';

export function wiringPlanView(plan: WiringPlan): WiringPlanView {
  return {
    target: plan.target.kind === 'confDir' ? { kind: 'confDir', dir: plan.target.dir } : { kind: 'system', determinate: plan.target.determinate },
    targetDescription: describeTarget(plan.target),
    files: plan.files.map((file) => ({
      path: file.path,
      role: file.role,
      change: file.change,
      mode: file.mode,
      createdByUs: file.createdByUs,
      secret: file.secret,
      diff: file.diff,
    })),
    problems: plan.problems.map((problem) => ({ path: problem.path, message: problem.message, lineNumber: problem.lineNumber })),
    environment: [...plan.environment],
    changes: plan.changes,
    needsAdmin: plan.layout.needsAdmin,
    summary: plan.summary,
    nixDarwinConfig: plan.nixDarwinConfig,
  };
}
