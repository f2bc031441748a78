/** The core's `builders.*` requests: the remote Linux builders beside the VM, and their health. */
import type { HandlersFor } from '../core.js';
import type { RemoteBuilders } from './remoteBuilders.js';

export function remoteBuilderHandlers(remoteBuilders: RemoteBuilders): HandlersFor<'builders'> {
  return {
    'builders.list': async () => remoteBuilders.list(),
    'builders.add': async (input) => remoteBuilders.add(input.builder),
    'builders.remove': async (input) => remoteBuilders.remove(input.id),
    'builders.check': async (input) => remoteBuilders.checkNow(input.id),
  };
}
