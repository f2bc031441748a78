/**
 * The contract's names without its schemas: what the sandboxed preload needs (which must stay
 * a few kilobytes, so it cannot pull in zod). `contract.ts` re-exports these and checks its
 * schemas against them, so a name still lives in one place.
 */
import type { RequestName } from './contract.js';

/**
 * One small named method per request, as Podman Desktop's preload does: the renderer calls
 * `builderBar.startBuilder({ wait: true })`, never a channel name.
 */
export const apiMethods = {
  getAppInfo: 'app.info',
  getStatus: 'status.get',
  startBuilder: 'vm.start',
  stopBuilder: 'vm.stop',
  restartBuilder: 'vm.restart',
  planBuilderImageUpdate: 'builderImage.plan',
  updateBuilderImage: 'builderImage.update',
  makeOwnHostKey: 'builderImage.ownHostKey',
  listUpstreamDisks: 'builderImage.upstreamDisks',
  importUpstreamDisk: 'builderImage.importDisk',
  tailLogs: 'logs.tail',
  listLogFiles: 'logs.files',
  revealLogFile: 'logs.reveal',
  getSettings: 'settings.get',
  setSettings: 'settings.set',
  listBuilds: 'builds.list',
  startBuild: 'builds.start',
  cancelBuild: 'builds.cancel',
  getBuildLog: 'builds.log',
  listRemoteBuilders: 'builders.list',
  addRemoteBuilder: 'builders.add',
  removeRemoteBuilder: 'builders.remove',
  checkRemoteBuilders: 'builders.check',
  detectNix: 'nix.detect',
  planNixWiring: 'nix.plan',
  applyNixWiring: 'nix.apply',
  removeNixWiring: 'nix.remove',
  verifyNixWiring: 'nix.verify',
  createDiagnostics: 'diagnostics.create',
  listBaselines: 'baselines.list',
  trackRepo: 'baselines.addRepo',
  untrackRepo: 'baselines.removeRepo',
  updateTrackedRepo: 'baselines.updateRepo',
  prebuildBaseline: 'baselines.prebuild',
} as const satisfies Record<string, RequestName>;
export type ApiMethodName = keyof typeof apiMethods;

/** Events the core pushes; `contract.ts` gives each its schema. */
export const eventNames = ['status', 'logs', 'settings', 'builders', 'build', 'buildRemoved', 'externalBuilds', 'baselines'] as const;

export function isEventName(name: unknown): name is (typeof eventNames)[number] {
  return typeof name === 'string' && (eventNames as readonly string[]).includes(name);
}

/** Channel names used by the Electron door; the WebSocket door uses the same names in JSON. */
export const ipcChannels = {
  request: 'builder-bar:request',
  event: 'builder-bar:event',
} as const;
