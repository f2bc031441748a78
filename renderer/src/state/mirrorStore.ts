/**
 * The zustand store that mirrors the core for one window. It fetches status, settings and the
 * recent log tail, the build queue, the remote builders and the tracked repositories' baselines
 * when the door opens (and again after every reconnect, since events were missed meanwhile),
 * then follows the `status`, `logs`, `settings`, `build`, `buildRemoved`, `externalBuilds`
 * (builds others run on the builder), `builders` and `baselines` events.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ConnectionSource } from '../api/connection.js';
import type { BuilderBarApi, ErrorInfo } from '../api/contract.js';
import { inBackground } from '../components/background.js';
import { mergeBuild, removeBuild, replaceBuilds } from './buildsMirror.js';
import { emptyLogs, emptyMirror, mergeLogLines, type Mirror } from './mirror.js';

export interface MirrorStoreOptions {
  /** Lines of log tail fetched on (re)connect. */
  tailLines: number;
  /** Lines kept in the window. */
  logCap: number;
}

export interface MirrorStore {
  store: StoreApi<Mirror>;
  /** Fetches everything again; resolves once every answer is in. */
  refresh(): Promise<void>;
  dispose(): void;
}

export function createMirrorStore(
  door: { api: BuilderBarApi; connection: ConnectionSource },
  options: MirrorStoreOptions,
): MirrorStore {
  const { api, connection } = door;
  const store = createStore<Mirror>(() => emptyMirror(connection.get(), options.logCap));
  let disposed = false;

  const noteFailure = (error: ErrorInfo): void => {
    if (!disposed) store.setState({ loadError: error });
  };

  const refresh = async (): Promise<void> => {
    // The queue is applied the moment its answer arrives, not after the slowest of the others:
    // `build` events that come after the answer are newer and must not be overwritten by it.
    const buildsApplied = api.listBuilds({}).then((reply) => {
      if (disposed) return reply.ok;
      if (reply.ok) store.setState((mirror) => ({ builds: replaceBuilds(mirror.builds, reply.value.builds), onBuilder: reply.value.external }));
      else noteFailure(reply.error);
      return reply.ok;
    });
    const buildersApplied = api.listRemoteBuilders({}).then((reply) => {
      if (disposed) return reply.ok;
      if (reply.ok) store.setState({ remoteBuilders: reply.value.builders });
      else noteFailure(reply.error);
      return reply.ok;
    });
    // Applied on arrival like the queue: a `baselines` event after the answer is newer.
    const baselinesApplied = api.listBaselines({}).then((reply) => {
      if (disposed) return reply.ok;
      if (reply.ok) store.setState({ baselines: reply.value.repos });
      else noteFailure(reply.error);
      return reply.ok;
    });
    const [status, settings, tail, buildsOk, buildersOk, baselinesOk] = await Promise.all([
      api.getStatus({}),
      api.getSettings({}),
      api.tailLogs({ lines: options.tailLines }),
      buildsApplied,
      buildersApplied,
      baselinesApplied,
    ]);
    if (disposed) return;
    if (status.ok) store.setState({ status: status.value });
    else noteFailure(status.error);
    if (settings.ok) store.setState({ settings: settings.value });
    else noteFailure(settings.error);
    if (tail.ok) store.setState((mirror) => ({ logs: mergeLogLines(mirror.logs, tail.value.lines) }));
    else noteFailure(tail.error);
    if (status.ok && settings.ok && tail.ok && buildsOk && buildersOk && baselinesOk) store.setState({ loadError: null });
  };

  // A fetch that rejects (a reply the door could not deliver, a handler that threw) must not
  // leave the windows saying "Loading…" for good: it shows as the load error, and the next
  // reconnect fetches everything again.
  const refreshInBackground = (): void => inBackground('Could not load the state from Builder Bar', refresh, noteFailure);

  const unsubscribers = [
    api.on('status', (status) => store.setState({ status })),
    api.on('settings', (settings) => store.setState({ settings })),
    api.on('logs', ({ lines }) =>
      store.setState((mirror) => ({ logs: mergeLogLines(mirror.logs, lines) })),
    ),
    api.on('build', (build) => store.setState((mirror) => ({ builds: mergeBuild(mirror.builds, build) }))),
    api.on('buildRemoved', ({ id }) => store.setState((mirror) => ({ builds: removeBuild(mirror.builds, id) }))),
    api.on('externalBuilds', ({ builds }) => store.setState({ onBuilder: builds })),
    api.on('builders', ({ builders }) => store.setState({ remoteBuilders: builders })),
    api.on('baselines', ({ repos }) => store.setState({ baselines: repos })),
    connection.subscribe((info) => {
      const wasOpen = store.getState().connection.state === 'open';
      store.setState({ connection: info });
      if (info.state === 'open' && !wasOpen) {
        // A reconnect may land on a new core whose log sequence starts again: start afresh.
        store.setState({ logs: emptyLogs(options.logCap) });
        refreshInBackground();
      }
    }),
  ];

  if (connection.get().state === 'open') refreshInBackground();

  return {
    store,
    refresh,
    dispose() {
      disposed = true;
      for (const unsubscribe of unsubscribers) unsubscribe();
    },
  };
}
