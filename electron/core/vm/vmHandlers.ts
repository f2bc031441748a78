/**
 * The core's `vm.*` requests and `status.get`: the supervisor's lifecycle as the doors ask for it.
 * The status is the core's (the supervisor's, with what the core adds), so every door sees one.
 */
import type { Status } from '../../ipc/contract.js';
import type { HandlersFor } from '../core.js';
import type { SupervisorPort } from '../supervisorWiring.js';

export function vmHandlers(deps: { supervisor: SupervisorPort; status: () => Status }): HandlersFor<'vm' | 'status'> {
  const { supervisor } = deps;
  return {
    'status.get': async () => deps.status(),
    'vm.start': async (input) =>
      supervisor.start({
        wait: input.wait ?? false,
        ...(input.timeoutSeconds !== undefined ? { timeoutMs: input.timeoutSeconds * 1000 } : {}),
      }),
    'vm.stop': async (input) => supervisor.stop({ force: input.force ?? false }),
    'vm.restart': async () => supervisor.restart(),
  };
}
