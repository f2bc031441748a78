/**
 * A build target in words, the same in the queue, the CLI, notifications and the core's log:
 * "/home/u/job.nix -A hello", "nixpkgs#hello", or "baseline 1a2b3c4 of main (my-repo)".
 */
import type { QueueTarget } from './contract.js';

export function describeBuildTarget(target: QueueTarget, options: { shortFile?: boolean } = {}): string {
  switch (target.kind) {
    case 'file': {
      const file = options.shortFile ? (target.file.split('/').pop() ?? target.file) : target.file;
      return options.shortFile ? `${file}${target.attr ? ` (${target.attr})` : ''}` : `${file}${target.attr ? ` -A ${target.attr}` : ''}`;
    }
    case 'installable':
      return target.installable;
    case 'baseline':
      return `baseline ${target.rev.slice(0, 7)} of ${target.branch} (${target.repoId})`;
    case 'external':
      return target.description;
  }
}
