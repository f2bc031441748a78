/** The core's `baselines.*` requests: tracked repositories, each branch's baseline, prebuilding it. */
import type { HandlersFor } from '../core.js';
import type { BaselineService } from './baselineService.js';

export function baselineHandlers(baselines: BaselineService): HandlersFor<'baselines'> {
  return {
    'baselines.list': async () => baselines.list(),
    'baselines.addRepo': async (input) => baselines.addRepo(input.repo),
    'baselines.removeRepo': async (input) => baselines.removeRepo(input.id),
    'baselines.updateRepo': async (input) => baselines.updateRepo(input.id, input.patch),
    'baselines.prebuild': async (input) => baselines.prebuild(input.repoId, input.branch),
  };
}
