/**
 * A minimal `Core` for testing the doors' transport (auth, framing, validation, event
 * fan-out) without a VM. It answers every request with a fixed, contract-valid value and
 * records what reached it, so a test can prove that refused input never did. Tests of the
 * doors against the real core live in the *.integration tests.
 */
import path from 'node:path';
import type { Core, Door, ValidInput } from '../../core/core.js';
import { statePaths } from '../../core/paths.js';
import { defaultSettings } from '../../core/settings/defaults.js';
import { initialStatus } from '../../ipc/initialStatus.js';
import type { CoreEvent, HostTools, NixInUse, RequestName, RequestOutput, Settings, Status } from '../../ipc/contract.js';

export const stoppedStatus: Status = { ...initialStatus('linux-test', 1_700_000_000_000), detail: 'not running' };

export const testNixInUse: NixInUse = {
  found: true, binDir: '/usr/bin', version: '2.18.1', determinate: false, chosenBy: 'path', missing: [], shadowed: [],
};

export const testHostTools: HostTools = {
  loginShell: { ok: false, shell: null, why: 'asking the login shell is turned off' },
  tools: [{ name: 'nix', path: '/usr/bin/nix', origin: 'app-environment' }],
};

export const defaultTestSettings: Settings = { ...defaultSettings('linux'), logs: { ringLines: 1000 } };

export interface TransportCore extends Core {
  /** Every request that reached the core, in order. */
  readonly received: Array<{ name: RequestName; input: unknown; door: Door }>;
  emit(event: CoreEvent): void;
  readonly listenerCount: number;
  /** The options of each `close()` call. */
  readonly closedWith: Array<{ stopBuilder: boolean }>;
  /** How often `holdBuilder` was called and its leases released (the proxy's socket message). */
  readonly holds: { held: number; released: number };
}

type Answers = { [N in RequestName]: (input: ValidInput<N>, door: Door) => RequestOutput<N> | Promise<RequestOutput<N>> };

/** `overrides` replace answers for a test that needs a scripted reply (e.g. events before it). */
export function transportCore(stateDir: string, overrides: (emit: (event: CoreEvent) => void) => Partial<Answers> = () => ({})): TransportCore {
  const listeners = new Set<(event: CoreEvent) => void>();
  const received: TransportCore['received'] = [];
  const closedWith: TransportCore['closedWith'] = [];
  const emit = (event: CoreEvent): void => {
    for (const listener of listeners) listener(event);
  };
  const answers: Answers = {
    'app.info': (_input, door) => ({ version: 'test', platform: 'test', stateDir, logDir: path.join(stateDir, 'logs'), door, nix: testNixInUse, hostTools: testHostTools, settingsNotices: [] }),
    'status.get': () => stoppedStatus,
    'vm.start': () => ({ ...stoppedStatus, state: 'starting', detail: 'booting' }),
    'vm.stop': () => stoppedStatus,
    'vm.restart': () => ({ ...stoppedStatus, state: 'starting', detail: 'booting' }),
    'builderImage.plan': () => {
      throw new Error('transportCore has no builder image');
    },
    'builderImage.update': () => {
      throw new Error('transportCore has no builder image');
    },
    'builderImage.ownHostKey': () => {
      throw new Error('transportCore has no builder image');
    },
    'builderImage.upstreamDisks': () => ({ disks: [], ownDisk: path.join(stateDir, 'vm', 'disk.qcow2'), ownDiskExists: false }),
    'builderImage.importDisk': () => {
      throw new Error('transportCore imports no disk');
    },
    'logs.tail': () => ({ lines: [] }),
    'logs.files': () => ({ logDir: path.join(stateDir, 'logs'), files: [] }),
    'logs.reveal': (input) => ({ path: path.join(stateDir, 'logs', `${input.source}.log`) }),
    'settings.get': () => defaultTestSettings,
    'settings.set': () => ({ settings: defaultTestSettings, effects: { needsRestart: false, needsNewDisk: false, messages: [] } }),
    'builds.list': () => ({ builds: [], external: [] }),
    'builds.start': () => {
      throw new Error('transportCore starts no builds');
    },
    'builds.cancel': () => {
      throw new Error('transportCore has no builds');
    },
    'builds.log': () => ({ lines: [], dropped: 0 }),
    'builders.list': () => ({ builders: [] }),
    'baselines.list': () => ({ repos: [] }),
    'baselines.addRepo': () => ({ repos: [] }),
    'baselines.removeRepo': () => ({ repos: [] }),
    'baselines.updateRepo': () => ({ repos: [] }),
    'baselines.prebuild': () => ({ repos: [] }),
    'builders.add': () => ({ builders: [] }),
    'builders.remove': () => ({ builders: [] }),
    'builders.check': () => ({ builders: [] }),
    'nix.detect': () => ({
      found: true, binary: '/usr/bin/nix', version: '2.18.1', mode: 'single-user', user: 'test', trustedUsers: ['root'],
      trusted: true, determinate: false, builders: '', machines: [], otherBuilders: 0, problems: [],
    }),
    'nix.plan': (input) => ({
      target: { kind: 'confDir', dir: input.confDir ?? path.join(stateDir, 'nixconf') },
      targetDescription: 'a test config directory', files: [], problems: [], environment: [], changes: false, needsAdmin: false,
      summary: 'transportCore plans nothing', nixDarwinConfig: null,
    }),
    'nix.apply': () => ({ written: [], unchanged: [], environment: [], summary: 'transportCore writes nothing' }),
    'nix.remove': () => ({ restored: [], deleted: [], blockRemoved: [], notes: ['transportCore wired nothing'] }),
    'nix.verify': () => ({
      ok: false, seconds: 0,
      failure: { cause: 'builder-not-ready', message: 'transportCore has no builder', fix: 'use the real core', stderrTail: [] },
    }),
    'diagnostics.create': (input) => ({
      path: path.join(input.outDir ?? path.join(stateDir, 'logs'), 'builder-bar-diagnostics-20231114T221320Z.tar.gz'),
      files: [],
    }),
    ...overrides(emit),
  };
  /** `holdBuilder` calls and releases, for the proxy's socket message. */
  const holds = { held: 0, released: 0 };
  return {
    paths: statePaths({ stateDir }),
    received,
    closedWith,
    get listenerCount() {
      return listeners.size;
    },
    async handle<N extends RequestName>(name: N, input: ValidInput<N>, door: Door): Promise<RequestOutput<N>> {
      received.push({ name, input, door });
      return (answers[name] as (input: ValidInput<N>, door: Door) => RequestOutput<N> | Promise<RequestOutput<N>>)(input, door);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit,
    holds,
    async holdBuilder() {
      holds.held += 1;
      return { sshPort: 31022, release: () => { holds.released += 1; } };
    },
    power: { suspended() {}, resumed() {} },
    async close(options) {
      closedWith.push(options);
    },
  };
}
