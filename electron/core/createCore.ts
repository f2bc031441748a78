/**
 * Builds the core: one object graph (paths, log hub, settings, the builder supervisor) behind
 * the `Core` interface. Every door adapts this one object; none holds state of its own. One
 * NixLocator (the nixBinDir setting, then the environment's Nix) is handed to every service
 * that runs Nix, so they all run the same one; one search path (host/toolSearchPath.ts: the app's
 * PATH, the login shell's, Nix's profile directories) finds Nix, QEMU, qemu-img and git for all.
 * It only composes: each domain's requests are answered by its handler module (vmHandlers,
 * logHandlers, settingsHandlers, buildHandlers, remoteBuilderHandlers, baselineHandlers,
 * nixHandlers, builderImageHandlers, diagnosticsHandlers).
 */
import { homeDirectory } from './host/homeDirectory.js';
import {
  type CoreEvent,
  type ProfileName,
  type RequestName,
  type RequestOutput,
  type Settings,
  type Status,
} from '../ipc/contract.js';
import type { Core, Door, ValidInput } from './core.js';
import { LogHub } from './logs/logHub.js';
import { systemFileRevealer, type FileRevealer } from './logs/fileRevealer.js';
import { statePaths, type StatePaths } from './paths.js';
import { prepareStateDir } from './stateDir.js';
import { SettingsStore } from './settings/settingsStore.js';
import { hostLimits, type HostLimits } from './settings/validateSettings.js';
import { ensurePrivateDir } from './util/atomicWrite.js';
import { appVersion } from './appVersion.js';
import { createSupervisor, type SupervisorPort } from './supervisorWiring.js';
import { builderImageHandlers } from './vm/builderImageHandlers.js';
import { vmHandlers } from './vm/vmHandlers.js';
import { logHandlers } from './logs/logHandlers.js';
import { settingsHandlers } from './settings/settingsHandlers.js';
import { buildHandlers, buildQueue } from './builds/buildHandlers.js';
import { remoteBuilderHandlers } from './builders/remoteBuilderHandlers.js';
import { baselineHandlers } from './baselineService/baselineHandlers.js';
import { diagnosticsHandlers } from './diagnostics/diagnosticsHandlers.js';
import { HostKeySwitch } from './vm/profiles/hostKeySwitch.js';
import { readWiringRecord } from './nix/wiringRecord.js';
import { vmFilesIn } from './vm/vmFiles.js';
import { RemoteBuilders } from './builders/remoteBuilders.js';
import { BuildService } from './builds/buildService.js';
import { ExternalBuildWatcher } from './builds/externalBuilds.js';
import { ExternalBuildFeed } from './builds/externalBuildFeed.js';
import { appliedBuildEnvironment } from './nix/appliedEnvironment.js';
import { describeInstallation, NixLocator } from './nix/nixInstallation.js';
import { ToolSearchPath } from './host/toolSearchPath.js';
import { nixHandlers } from './nix/nixHandlers.js';
import { BuilderBarError } from './errors.js';
import { BaselineService } from './baselineService/baselineService.js';
import { reportUnexpectedErrorsTo } from './util/unexpectedErrors.js';
import { inBackground } from './util/inBackground.js';
import { OnDemandBuilder } from './vm/onDemandBuilder.js';

export interface CoreOptions {
  /** Overrides BUILDER_BAR_HOME and the platform default. */
  stateDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Use this profile for this run, whatever the settings say (e.g. `serve --profile`). */
  profile?: ProfileName;
  platform?: NodeJS.Platform;
  /** For tests: pretend the host has these limits. */
  limits?: HostLimits;
  /** For benchmarks: handed the core's log hub once it exists, so a real source can be fed. */
  onLogHub?: (hub: LogHub) => void;
  /**
   * Shows a log file in the file manager. The Electron shell passes one on
   * `shell.showItemInFolder`; without it the system's opener is used (`open -R`, `xdg-open`).
   */
  fileRevealer?: FileRevealer;
  /**
   * How programs are found beyond the app's PATH. `loginShell`: the shell whose PATH is added
   * (null: none); by default SHELL's on a Mac, where an app from Finder has only launchd's PATH,
   * and none elsewhere (a Linux session's PATH already comes from its login). `profileDirs`:
   * Nix's profile directories (tests point them at temp dirs).
   */
  hostPath?: { loginShell?: string | null; loginShellTimeoutMs?: number; profileDirs?: readonly string[] };
}

type Handlers = { [N in RequestName]: (input: ValidInput<N>, door: Door) => Promise<RequestOutput<N>> };

export async function createCore(options: CoreOptions = {}): Promise<Core> {
  const platform = options.platform ?? process.platform;
  const fileRevealer = options.fileRevealer ?? systemFileRevealer({ platform, env: options.env ?? process.env });
  const paths: StatePaths = statePaths({ stateDir: options.stateDir, env: options.env ?? process.env, platform });
  await prepareStateDir(paths.stateDir);
  await ensurePrivateDir(paths.logDir);

  const listeners = new Set<(event: CoreEvent) => void>();
  const emit = (event: CoreEvent): void => {
    for (const listener of listeners) listener(event);
  };

  // The ring size comes from the settings, which log their own loading problems: start with a
  // default ring and resize once the settings are read.
  const logs = new LogHub({ ringLines: 10_000, logDir: paths.logDir });
  options.onLogHub?.(logs);
  // A promise that failed with nobody waiting (the process guard catches it) lands in the app log.
  const logError = (text: string): void => logs.append('app', 'error', text);
  const stopReportingUnexpected = reportUnexpectedErrorsTo((text) => logs.append('app', 'error', text));
  const settingsStore = await SettingsStore.open({
    file: paths.settingsFile,
    limits: options.limits ?? hostLimits(),
    logs,
    platform,
  });
  logs.setRingLines(settingsStore.get().logs.ringLines);
  // Every saved change reaches the doors from here, whoever made it (settings.set, a remote
  // builder added, a tracked repository edited): no handler announces settings itself.
  const unsubscribeSettings = settingsStore.onChange(({ settings, changed }) => {
    if (changed.includes('logs')) logs.setRingLines(settings.logs.ringLines);
    if (changed.includes('onDemand') || changed.includes('idleStopMinutes')) onDemand?.replan();
    emit({ name: 'settings', payload: settings });
  });
  const unsubscribeLogs = logs.subscribe((lines) => emit({ name: 'logs', payload: { lines } }));

  // Every program is found through one search path; the login shell is asked once, in the
  // background, and a shell that hangs or prints no PATH costs its timeout and a log line.
  const env = options.env ?? process.env;
  const tools = new ToolSearchPath({
    env,
    loginShell: options.hostPath?.loginShell !== undefined ? options.hostPath.loginShell : platform === 'darwin' ? undefined : null,
    ...(options.hostPath?.loginShellTimeoutMs !== undefined ? { loginShellTimeoutMs: options.hostPath.loginShellTimeoutMs } : {}),
    ...(options.hostPath?.profileDirs ? { profileDirs: options.hostPath.profileDirs } : {}),
    onLoginShell: (outcome) => {
      if (outcome.ok) logs.append('app', 'info', `Added the PATH of the login shell ${outcome.shell} (${outcome.dirs.length} directories, ${outcome.ms} ms) to the app's own.`);
      else logs.append('app', outcome.shell === null && platform !== 'darwin' ? 'info' : 'warn', `Programs are found on the app's PATH and in Nix's profile directories only: ${outcome.why}.`);
    },
  });
  inBackground(tools.loginShellOutcome().then(() => undefined), 'Asking the login shell for its PATH', logError);
  // Which Nix every service runs: asked anew on each use (cheap: `nix --version` is cached per
  // installation), so a changed setting applies to the next build without a restart.
  const nix = new NixLocator({ env, setting: () => settingsStore.get().nixBinDir, searchPath: tools });
  inBackground(
    nix.resolve().then((resolution) => {
      if (resolution.found) logs.append('app', 'info', `Using ${describeInstallation(resolution.installation)}.`);
      else logs.append('app', 'warn', `No Nix to use: ${resolution.reason} ${resolution.hint}`);
    }),
    'Looking for Nix',
    logError,
  );

  const effectiveSettings = (): Settings =>
    options.profile ? { ...settingsStore.get(), profile: options.profile } : settingsStore.get();

  const supervisor: SupervisorPort = await createSupervisor({ paths, logs, getSettings: effectiveSettings, platform, nix, tools });
  // "Make its own host key" from start to re-pin; its progress joins the supervisor's status.
  const hostKeySwitch = new HostKeySwitch({
    builderState: () => supervisor.status().state,
    // Nix's ssh sessions through the proxy count too: a restart would cut their builds.
    buildsOnBuilder: () => builds.buildingOnBuilders().size + externalBuilds.list().length + (onDemand?.sessions() ?? 0),
    restartAndWait: async () => {
      await supervisor.restart();
      return supervisor.start({ wait: true });
    },
    recordedTarget: async () => (await readWiringRecord(paths.stateDir))?.target ?? null,
    reapply: (confDir) => nixRequests['nix.apply']({ confDir }),
    report: (message) => logs.append('app', 'info', message),
  });
  // Builds are counted as use by the on-demand builder; it is made once `builds` exists.
  let onDemand: OnDemandBuilder | null = null;
  // The status every door sees: the supervisor's, with what the core adds (the switch, on demand).
  const coreStatus = (status: Status = supervisor.status()): Status => {
    const withSwitch = { ...status, hostKeySwitch: hostKeySwitch.progress() };
    return onDemand?.decorate(withSwitch) ?? withSwitch;
  };
  const unsubscribeStatus = supervisor.onStatus((status: Status) => emit({ name: 'status', payload: coreStatus(status) }));
  hostKeySwitch.onProgress(() => emit({ name: 'status', payload: coreStatus() }));
  const remoteBuilders = new RemoteBuilders({ settings: settingsStore, logs });
  remoteBuilders.onChange((list) => emit({ name: 'builders', payload: list }));
  if (settingsStore.get().remoteBuilders.length > 0) inBackground(remoteBuilders.checkNow(), 'Checking the remote builders', logError);
  // Builds started anywhere on this machine, through Nix's json-log-path (Nix >= 2.30).
  const externalFeed = await ExternalBuildFeed.open({ stateDir: paths.stateDir, logs, nix });
  const builds = await BuildService.open({
    stateDir: paths.stateDir,
    logs,
    external: externalFeed,
    buildEnvironment: () => appliedBuildEnvironment(paths.stateDir),
    nix,
    builderReady: () => supervisor.status().state === 'ready',
    ensureBuilderReady: async () => {
      const status = await supervisor.start({ wait: true });
      if (status.state !== 'ready') {
        throw new BuilderBarError('vm-failed', status.error?.message ?? `the builder is ${status.state}`, status.error?.hint ?? null);
      }
    },
  });
  builds.onBuild((view) => emit({ name: 'build', payload: view }));
  onDemand = new OnDemandBuilder({
    supervisor,
    settings: () => settingsStore.get(),
    runningBuilds: () => builds.list().filter((view) => view.state === 'running' || view.state === 'waiting-for-builder').length,
    logs,
    onChange: () => emit({ name: 'status', payload: coreStatus() }),
  });
  const onDemandBuilder = onDemand;
  builds.onBuild(() => onDemandBuilder.replan());
  builds.onRemoved((id) => emit({ name: 'buildRemoved', payload: { id } }));
  const externalBuilds = new ExternalBuildWatcher({
    exec: (command) => supervisor.poll(command, { timeoutMs: 10_000 }),
    logs,
    builderReady: () => supervisor.status().state === 'ready',
    ownBuilding: () => builds.buildingOnBuilders(),
  });
  externalBuilds.onChange((list) => emit({ name: 'externalBuilds', payload: { builds: list } }));
  const baselines = await BaselineService.open({
    settings: settingsStore,
    tools,
    logs,
    stateDir: paths.stateDir,
    startBuild: (target) => builds.start(target),
    onBuild: (listener) => builds.onBuild(listener),
    nixEnvironment: () => appliedBuildEnvironment(paths.stateDir),
    nix,
  });
  baselines.onChange((list) => emit({ name: 'baselines', payload: list }));

  logs.append('app', 'info', `Builder Bar ${appVersion()} core started (state dir ${paths.stateDir}, pid ${process.pid}).`);
  await supervisor.recover();
  if (settingsStore.get().startOnLaunch && supervisor.status().state === 'stopped') {
    logs.append('app', 'info', 'Starting the builder because "start on launch" is on.');
    inBackground(supervisor.start({}), 'Start on launch', logError);
  }

  const nixRequests = nixHandlers({ paths, platform, logs, builder: supervisor, nix });
  const queue = { builds, externalBuilds, externalFeed };
  const handlers: Handlers = {
    ...diagnosticsHandlers({
      bundle: {
        paths,
        platform,
        flushLogs: () => logs.flush(),
        status: () => coreStatus(),
        settings: () => settingsStore.get(),
        builds: () => buildQueue(queue),
        nix,
        tools,
      },
      logs,
      nix,
      tools,
      profile: () => effectiveSettings().profile,
      settingsNotices: () => settingsStore.loadNotices(),
    }),
    ...vmHandlers({ supervisor, status: () => coreStatus() }),
    ...logHandlers({ logs, logDir: paths.logDir, fileRevealer }),
    ...settingsHandlers({
      store: settingsStore,
      nix,
      logs,
      builderState: () => supervisor.status().state,
      builderPort: () => supervisor.status().sshPort,
      diskSizeGiB: () => supervisor.diskSizeGiB(),
      diskImage: vmFilesIn(paths.vmDir).diskImage,
    }),
    ...buildHandlers(queue),
    ...remoteBuilderHandlers(remoteBuilders),
    ...baselineHandlers(baselines),
    ...nixRequests,
    ...builderImageHandlers({
      vmDir: paths.vmDir, nix, logs, settings: () => settingsStore.get(), saveSettings: (patch) => settingsStore.update(patch),
      home: homeDirectory(), builderState: () => supervisor.status().state, tools,
      switchHostKey: (buildImage) => hostKeySwitch.run(buildImage),
    }),
  };

  let closed = false;
  return {
    paths,
    handle: <N extends RequestName>(name: N, input: ValidInput<N>, door: Door) =>
      (handlers[name] as (input: ValidInput<N>, door: Door) => Promise<RequestOutput<N>>)(input, door),
    holdBuilder: () => onDemandBuilder.hold(),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    power: {
      suspended() {
        logs.append('app', 'info', 'The system is going to sleep.');
      },
      resumed() {
        logs.append('app', 'info', 'The system woke up; checking the builder again.');
        inBackground(baselines.resumed(), 'Recomputing baselines after wake-up', logError);
        inBackground(supervisor.probeAgain(), 'Checking the builder after wake-up', logError);
      },
    },
    async close({ stopBuilder }) {
      if (closed) return;
      closed = true;
      onDemandBuilder.close();
      remoteBuilders.close();
      externalBuilds.close();
      baselines.close();
      await builds.close();
      await externalFeed.close();
      await supervisor.close({ stopBuilder });
      // Its poll for hand edits would otherwise go on until the process exits.
      settingsStore.close();
      unsubscribeStatus();
      unsubscribeSettings();
      unsubscribeLogs();
      stopReportingUnexpected();
      logs.append('app', 'info', stopBuilder ? 'Core stopped; the builder was stopped.' : 'Core stopped; the builder keeps running for the next start to adopt.');
      await logs.close();
      listeners.clear();
    },
  };
}
