import { describe, expect, it, vi } from 'vitest';
import type { ConnectionInfo, ConnectionSource } from '../api/connection.js';
import type { BuilderBarApi, BuildView, ApiEventPayload, EventName, EventPayload, ExternalBuild, LogLine, RemoteBuilderList, RepoBaselines, Settings, Status } from '../api/contract.js';
import { sampleRepo } from '../baselines/sampleBaselines.js';
import { createMirrorStore } from './mirrorStore.js';
import { initialStatus } from '../../../electron/ipc/initialStatus.js';
import { defaultSettings } from '../../../electron/core/settings/defaults.js';

const status: Status = { ...initialStatus('linux-test', 1), detail: '' };
const settings: Settings = defaultSettings('linux');
const line = (seq: number): LogLine => ({ seq, time: seq, source: 'app', level: 'info', text: `l${seq}` });
const build = (id: string, createdAt: number, state: BuildView['state']): BuildView => ({
  id,
  target: { kind: 'installable', installable: `nixpkgs#${id}` },
  state,
  createdAt,
  endedAt: state === 'running' ? null : createdAt + 1,
  exitCode: null,
  signal: null,
  error: null,
  derivations: [],
  progress: { done: 0, expected: 1, running: 0, failed: 0 },
  outputPaths: [],
});
const remote: RemoteBuilderList['builders'][number] = {
  builder: {
    id: 'big',
    protocol: 'ssh-ng',
    user: 'nix',
    host: 'big.example.org',
    port: 22,
    systems: ['x86_64-linux'],
    maxJobs: 4,
    speedFactor: 2,
    supportedFeatures: [],
    sshKey: '/home/u/.ssh/id_ed25519',
    hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample',
  },
  health: { id: 'big', state: 'unknown', message: 'not checked yet', nixVersion: null, latencyMs: null, checkedAt: null },
};

/** An in-memory core behind the API shape: answers from its fields, pushes events on demand. */
function fakeCore() {
  const core = { status, settings, tail: [line(1), line(2)], calls: 0, builds: [] as BuildView[], remoteBuilders: [] as RemoteBuilderList['builders'], baselines: [] as RepoBaselines[], onBuilder: [] as ExternalBuild[] };
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  const ok = <T>(value: T) => Promise.resolve({ ok: true as const, value });
  const api: BuilderBarApi = {
    getAppInfo: () => ok({ version: '0', platform: 'linux', stateDir: '/s', logDir: '/s/logs', door: 'headless' as const, nix: { found: false as const, reason: 'no Nix here', hint: 'install it' }, hostTools: { loginShell: { ok: false as const, shell: null, why: 'asking the login shell is turned off' }, tools: [] }, settingsNotices: [] }),
    getStatus: () => {
      core.calls += 1;
      return ok(core.status);
    },
    startBuilder: () => ok(core.status),
    stopBuilder: () => ok(core.status),
    restartBuilder: () => ok(core.status),
    planBuilderImageUpdate: () => Promise.reject(new Error('no builder image in this fake')),
    makeOwnHostKey: () => Promise.reject(new Error('no builder image in this fake')),
    listUpstreamDisks: () => Promise.reject(new Error('no builder image in this fake')),
    importUpstreamDisk: () => Promise.reject(new Error('no builder image in this fake')),
    updateBuilderImage: () => Promise.reject(new Error('no builder image in this fake')),
    tailLogs: () => ok({ lines: core.tail }),
    listLogFiles: () => ok({ logDir: '/logs', files: [] }),
    revealLogFile: () => ok({ path: '/logs/app.log' }),
    getSettings: () => ok(core.settings),
    setSettings: () => ok({ settings: core.settings, effects: { needsRestart: false, needsNewDisk: false, messages: [] } }),
    listBuilds: () => ok({ builds: core.builds, external: core.onBuilder }),
    startBuild: () => Promise.reject(new Error('no builds here')),
    cancelBuild: () => Promise.reject(new Error('no builds here')),
    getBuildLog: () => ok({ lines: [], dropped: 0 }),
    listRemoteBuilders: () => ok({ builders: core.remoteBuilders }),
    addRemoteBuilder: () => ok({ builders: [] }),
    removeRemoteBuilder: () => ok({ builders: [] }),
    checkRemoteBuilders: () => ok({ builders: [] }),
    // The Nix panel asks these directly; the mirror never does.
    detectNix: () => Promise.reject(new Error('the mirror does not detect Nix')),
    planNixWiring: () => Promise.reject(new Error('the mirror does not plan')),
    applyNixWiring: () => Promise.reject(new Error('the mirror does not apply')),
    removeNixWiring: () => Promise.reject(new Error('the mirror does not remove')),
    verifyNixWiring: () => Promise.reject(new Error('the mirror does not verify')),
    createDiagnostics: () => Promise.reject(new Error('the mirror makes no bundle')),
    listBaselines: () => ok({ repos: core.baselines }),
    // The Baselines panel asks these directly; the mirror only lists and follows events.
    trackRepo: () => Promise.reject(new Error('the mirror does not add repositories')),
    untrackRepo: () => Promise.reject(new Error('the mirror does not remove repositories')),
    updateTrackedRepo: () => Promise.reject(new Error('the mirror does not change repositories')),
    prebuildBaseline: () => Promise.reject(new Error('the mirror does not prebuild')),
    on<E extends EventName>(event: E, listener: (payload: ApiEventPayload<E>) => void) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener as (payload: unknown) => void);
      return () => set.delete(listener as (payload: unknown) => void);
    },
  };
  const emit = <E extends EventName>(event: E, payload: EventPayload<E>) => {
    for (const listener of listeners.get(event) ?? []) listener(payload);
  };
  let info: ConnectionInfo = { state: 'connecting', attempt: 0, nextAttemptAt: null, problem: null };
  const connectionListeners = new Set<(info: ConnectionInfo) => void>();
  const connection: ConnectionSource = {
    get: () => info,
    subscribe: (listener) => {
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
  };
  const setConnection = (state: ConnectionInfo['state']) => {
    info = { ...info, state };
    for (const listener of connectionListeners) listener(info);
  };
  return { core, api, emit, connection, setConnection };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('the mirror store', () => {
  it('shows what others build on the builder: listed once open, then replaced by each externalBuilds event', async () => {
    const fake = fakeCore();
    const seen: ExternalBuild = { name: 'hello-2.12', directory: '/nix/var/nix/builds/nix-1-0', pids: [41], firstSeenAt: 5 };
    fake.core.onBuilder = [seen];
    const mirror = createMirrorStore(fake, { tailLines: 100, logCap: 100 });
    fake.setConnection('open');
    await settle();
    expect(mirror.store.getState().onBuilder).toEqual([seen]);
    fake.emit('externalBuilds', { builds: [] });
    expect(mirror.store.getState().onBuilder).toEqual([]);
  });

  it('fetches status, settings and the log tail once the door opens', async () => {
    const fake = fakeCore();
    const mirror = createMirrorStore(fake, { tailLines: 100, logCap: 100 });
    expect(mirror.store.getState().status).toBeNull();
    fake.setConnection('open');
    await settle();
    const state = mirror.store.getState();
    expect(state.status).toEqual(status);
    expect(state.settings).toEqual(settings);
    expect(state.logs.buffer.toArray().map((l) => l.seq)).toEqual([1, 2]);
    expect(state.connection.state).toBe('open');
  });

  it('follows status, settings and logs events', async () => {
    const fake = fakeCore();
    const mirror = createMirrorStore(fake, { tailLines: 100, logCap: 3 });
    fake.setConnection('open');
    await settle();
    fake.emit('status', { ...status, state: 'starting', detail: 'booting' });
    fake.emit('settings', { ...settings, cpus: 2 });
    fake.emit('logs', { lines: [line(3), line(4)] });
    const state = mirror.store.getState();
    expect(state.status?.state).toBe('starting');
    expect(state.settings?.cpus).toBe(2);
    expect(state.logs.buffer.toArray().map((l) => l.seq)).toEqual([2, 3, 4]);
  });

  it('fetches everything again after a reconnect, replacing logs from a restarted core', async () => {
    const fake = fakeCore();
    const mirror = createMirrorStore(fake, { tailLines: 100, logCap: 100 });
    fake.setConnection('open');
    await settle();
    fake.setConnection('reconnecting');
    expect(mirror.store.getState().connection.state).toBe('reconnecting');
    // The new core started its log sequence again and the builder is ready now.
    fake.core.tail = [line(0)];
    fake.core.status = { ...status, state: 'ready' };
    fake.setConnection('open');
    await settle();
    expect(fake.core.calls).toBe(2);
    expect(mirror.store.getState().status?.state).toBe('ready');
    expect(mirror.store.getState().logs.buffer.toArray().map((l) => l.seq)).toEqual([0]);
  });

  it('records why the initial fetch failed', async () => {
    const fake = fakeCore();
    fake.api.getStatus = () =>
      Promise.resolve({ ok: false, error: { code: 'internal', message: 'core broke', hint: null } });
    const mirror = createMirrorStore(fake, { tailLines: 100, logCap: 100 });
    fake.setConnection('open');
    await settle();
    expect(mirror.store.getState().loadError?.message).toBe('core broke');
  });

  it('shows why the page has nothing instead of loading forever when a fetch rejects, and recovers on reconnect', async () => {
    const fake = fakeCore();
    const answer = fake.api.getStatus;
    // A reply the door could not deliver (an IPC failure, a socket that broke mid-send).
    fake.api.getStatus = () => Promise.reject(new Error('the socket broke'));
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const mirror = createMirrorStore(fake, { tailLines: 100, logCap: 100 });
      fake.setConnection('open');
      await settle();
      // The Dashboard and the Logs window show this loadError; without it they say "Loading…" for good.
      expect(mirror.store.getState().status).toBeNull();
      expect(mirror.store.getState().loadError?.message).toMatch(/the socket broke/);
      expect(consoleError).toHaveBeenCalled();

      fake.api.getStatus = answer;
      fake.setConnection('reconnecting');
      fake.setConnection('open');
      await settle();
      expect(mirror.store.getState().status).toEqual(status);
      expect(mirror.store.getState().loadError).toBeNull();
    } finally {
      consoleError.mockRestore();
    }
  });

  it('lists builds and remote builders once open, then merges build events by id', async () => {
    const fake = fakeCore();
    fake.core.builds = [build('old', 1, 'succeeded')];
    fake.core.remoteBuilders = [remote];
    const mirror = createMirrorStore(fake, { tailLines: 100, logCap: 100 });
    fake.setConnection('open');
    await settle();
    expect(mirror.store.getState().builds.map((b) => b.id)).toEqual(['old']);
    expect(mirror.store.getState().remoteBuilders).toEqual([remote]);

    fake.emit('build', build('new', 2, 'running'));
    fake.emit('build', build('new', 2, 'failed'));
    fake.emit('build', build('third', 3, 'running'));
    expect(mirror.store.getState().builds.map((b) => [b.id, b.state])).toEqual([
      ['third', 'running'],
      ['new', 'failed'],
      ['old', 'succeeded'],
    ]);
    fake.emit('buildRemoved', { id: 'old' });
    expect(mirror.store.getState().builds.map((b) => b.id)).toEqual(['third', 'new']);

    const checked = { ...remote, health: { ...remote.health, state: 'ok' as const, message: 'Nix 2.26', latencyMs: 12 } };
    fake.emit('builders', { builders: [checked] });
    expect(mirror.store.getState().remoteBuilders?.[0]?.health.state).toBe('ok');
  });

  it('lists the tracked repositories once open, then replaces them with each baselines event', async () => {
    const fake = fakeCore();
    const before = sampleRepo({ id: 'app' });
    fake.core.baselines = [before];
    const mirror = createMirrorStore(fake, { tailLines: 100, logCap: 100 });
    expect(mirror.store.getState().baselines).toBeNull();
    fake.setConnection('open');
    await settle();
    expect(mirror.store.getState().baselines).toEqual([before]);
    expect(mirror.store.getState().loadError).toBeNull();

    const moved = sampleRepo({ id: 'app', baselineSha: 'b'.repeat(40) });
    fake.emit('baselines', { repos: [moved] });
    expect(mirror.store.getState().baselines?.[0]?.branches[0]?.baseline.sha).toBe('b'.repeat(40));
    fake.emit('baselines', { repos: [] });
    expect(mirror.store.getState().baselines).toEqual([]);
  });

  it('does not let a slow reply overwrite a build event that came after the queue was listed', async () => {
    const fake = fakeCore();
    fake.core.builds = [build('a', 1, 'running')];
    let releaseStatus: () => void = () => undefined;
    const slowStatus = fake.api.getStatus;
    fake.api.getStatus = (input) => new Promise((resolve, reject) => {
      releaseStatus = () => {
        slowStatus(input).then(resolve, reject);
      };
    });
    const mirror = createMirrorStore(fake, { tailLines: 100, logCap: 100 });
    fake.setConnection('open');
    await settle();
    fake.emit('build', build('a', 1, 'succeeded'));
    releaseStatus();
    await settle();
    expect(mirror.store.getState().status).not.toBeNull();
    expect(mirror.store.getState().builds.map((b) => b.state)).toEqual(['succeeded']);
  });
});
