/**
 * The settings form's model: what the user typed (strings, so a half-typed number is kept as
 * typed), checked against the contract's `SettingsSchema` on every keystroke so the schema's
 * own message shows next to the field before anything is sent. Only changed fields are sent.
 * An empty Nix directory means "find Nix automatically" (null); whether a directory holds a
 * working Nix only the core can tell, on Save.
 */
import { SettingsSchema, type NixInUse, type Settings, type SettingsPatch } from '../api/contract.js';
import { describeNixInUse } from '../../../electron/ipc/describeNixInUse.js';

export interface SettingsDraft {
  cpus: string;
  memoryMiB: string;
  diskGiB: string;
  hostPort: string;
  hostPortAuto: boolean;
  startOnLaunch: boolean;
  onDemand: boolean;
  idleStopMinutes: string;
  openAtLogin: boolean;
  restartEnabled: boolean;
  restartMaxPerMinute: string;
  restartGiveUpAfter: string;
  ringLines: string;
  /** '' = automatic. */
  nixBinDir: string;
  /** The Mac builder's nixpkgs pin, as a flake.lock records it. */
  nixpkgsRev: string;
  nixpkgsNarHash: string;
}

export type DraftField = keyof SettingsDraft;
export type FieldErrors = Partial<Record<DraftField, string>>;

/** Where each draft field lives in `Settings` (the path zod reports issues under). */
const settingsPathOf: Record<DraftField, string> = {
  cpus: 'cpus',
  memoryMiB: 'memoryMiB',
  diskGiB: 'diskGiB',
  hostPort: 'hostPort',
  hostPortAuto: 'hostPortAuto',
  startOnLaunch: 'startOnLaunch',
  onDemand: 'onDemand',
  idleStopMinutes: 'idleStopMinutes',
  openAtLogin: 'openAtLogin',
  restartEnabled: 'restartPolicy.enabled',
  restartMaxPerMinute: 'restartPolicy.maxPerMinute',
  restartGiveUpAfter: 'restartPolicy.giveUpAfter',
  ringLines: 'logs.ringLines',
  nixBinDir: 'nixBinDir',
  nixpkgsRev: 'builderNixpkgs.rev',
  nixpkgsNarHash: 'builderNixpkgs.narHash',
};

/** The fields typed as text that must be numbers. */
const NUMBER_FIELDS: readonly DraftField[] = ['cpus', 'memoryMiB', 'diskGiB', 'hostPort', 'idleStopMinutes', 'restartMaxPerMinute', 'restartGiveUpAfter', 'ringLines'];

export function draftFromSettings(settings: Settings): SettingsDraft {
  return {
    cpus: String(settings.cpus),
    memoryMiB: String(settings.memoryMiB),
    diskGiB: String(settings.diskGiB),
    hostPort: String(settings.hostPort),
    hostPortAuto: settings.hostPortAuto,
    startOnLaunch: settings.startOnLaunch,
    onDemand: settings.onDemand,
    idleStopMinutes: String(settings.idleStopMinutes),
    openAtLogin: settings.openAtLogin,
    restartEnabled: settings.restartPolicy.enabled,
    restartMaxPerMinute: String(settings.restartPolicy.maxPerMinute),
    restartGiveUpAfter: String(settings.restartPolicy.giveUpAfter),
    ringLines: String(settings.logs.ringLines),
    nixBinDir: settings.nixBinDir ?? '',
    nixpkgsRev: settings.builderNixpkgs.rev,
    nixpkgsNarHash: settings.builderNixpkgs.narHash,
  };
}

/** Text to number; blank or not a number -> NaN, which the checks below turn into a message. */
function numberFrom(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? Number.NaN : Number(trimmed);
}

export type DraftCheck =
  | { ok: true; settings: Settings }
  | { ok: false; errors: FieldErrors; /** A problem no field of the form owns. */ formError: string | null };

export function checkDraft(draft: SettingsDraft, base: Settings): DraftCheck {
  const candidate = {
    ...base,
    cpus: numberFrom(draft.cpus),
    memoryMiB: numberFrom(draft.memoryMiB),
    diskGiB: numberFrom(draft.diskGiB),
    hostPort: numberFrom(draft.hostPort),
    hostPortAuto: draft.hostPortAuto,
    startOnLaunch: draft.startOnLaunch,
    onDemand: draft.onDemand,
    idleStopMinutes: numberFrom(draft.idleStopMinutes),
    openAtLogin: draft.openAtLogin,
    restartPolicy: {
      enabled: draft.restartEnabled,
      maxPerMinute: numberFrom(draft.restartMaxPerMinute),
      giveUpAfter: numberFrom(draft.restartGiveUpAfter),
    },
    logs: { ringLines: numberFrom(draft.ringLines) },
    nixBinDir: draft.nixBinDir.trim() === '' ? null : draft.nixBinDir,
    builderNixpkgs: { rev: draft.nixpkgsRev.trim(), narHash: draft.nixpkgsNarHash.trim() },
  };
  const errors: FieldErrors = {};
  // The schema would say "expected number, received NaN"; say what to do instead.
  for (const field of NUMBER_FIELDS) {
    const value = draft[field];
    if (typeof value === 'string' && !Number.isFinite(numberFrom(value))) errors[field] = 'enter a number';
  }
  const parsed = SettingsSchema.safeParse(candidate);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.join('.');
      const field = (Object.keys(settingsPathOf) as DraftField[]).find((key) => settingsPathOf[key] === path);
      if (field && errors[field] === undefined) errors[field] = issue.message;
    }
  }
  if (!parsed.success) {
    const formError = Object.keys(errors).length === 0 ? (parsed.error.issues[0]?.message ?? 'invalid settings') : null;
    return { ok: false, errors, formError };
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors, formError: null };
  return { ok: true, settings: parsed.data };
}

/** Only what differs from `base`, so saving never rewrites values someone else changed. */
export function patchBetween(base: Settings, next: Settings): SettingsPatch {
  const patch: SettingsPatch = {};
  if (next.cpus !== base.cpus) patch.cpus = next.cpus;
  if (next.memoryMiB !== base.memoryMiB) patch.memoryMiB = next.memoryMiB;
  if (next.diskGiB !== base.diskGiB) patch.diskGiB = next.diskGiB;
  if (next.hostPort !== base.hostPort) patch.hostPort = next.hostPort;
  if (next.hostPortAuto !== base.hostPortAuto) patch.hostPortAuto = next.hostPortAuto;
  if (next.startOnLaunch !== base.startOnLaunch) patch.startOnLaunch = next.startOnLaunch;
  if (next.onDemand !== base.onDemand) patch.onDemand = next.onDemand;
  if (next.idleStopMinutes !== base.idleStopMinutes) patch.idleStopMinutes = next.idleStopMinutes;
  if (next.openAtLogin !== base.openAtLogin) patch.openAtLogin = next.openAtLogin;
  const restart: NonNullable<SettingsPatch['restartPolicy']> = {};
  if (next.restartPolicy.enabled !== base.restartPolicy.enabled) restart.enabled = next.restartPolicy.enabled;
  if (next.restartPolicy.maxPerMinute !== base.restartPolicy.maxPerMinute) {
    restart.maxPerMinute = next.restartPolicy.maxPerMinute;
  }
  if (next.restartPolicy.giveUpAfter !== base.restartPolicy.giveUpAfter) {
    restart.giveUpAfter = next.restartPolicy.giveUpAfter;
  }
  if (Object.keys(restart).length > 0) patch.restartPolicy = restart;
  if (next.logs.ringLines !== base.logs.ringLines) patch.logs = { ringLines: next.logs.ringLines };
  if (next.nixBinDir !== base.nixBinDir) patch.nixBinDir = next.nixBinDir;
  if (next.builderNixpkgs.rev !== base.builderNixpkgs.rev || next.builderNixpkgs.narHash !== base.builderNixpkgs.narHash) {
    patch.builderNixpkgs = next.builderNixpkgs;
  }
  return patch;
}

export function isEmptyPatch(patch: SettingsPatch): boolean {
  return Object.keys(patch).length === 0;
}

/**
 * What the Nix directory field says under its input: with it empty, what "automatic" finds now;
 * with the saved directory, the Nix in use there (or why there is none, as a warning); with a
 * new one, that Save checks it.
 */
export function nixBinDirHint(typed: string, saved: string | null, nix: NixInUse | null): { text: string; warn: boolean } {
  const value = typed.trim();
  if (value === '' && saved !== null) return { text: 'Empty: Builder Bar finds Nix on PATH and in Nix\'s profile directories, from Save on.', warn: false };
  if (value !== '' && value !== saved) return { text: 'Save checks that this directory holds nix, nix-build and nix-store, and that nix answers "nix --version".', warn: false };
  if (nix === null) return { text: value === '' ? 'Empty: Builder Bar finds Nix on PATH and in Nix\'s profile directories.' : '', warn: false };
  if (!nix.found) return { text: `${value === '' ? 'Automatic: ' : ''}${describeNixInUse(nix)} ${nix.hint}`, warn: true };
  return { text: value === '' ? `Automatic: Nix ${describeNixInUse(nix)}.` : `In use: Nix ${nix.version}. Empty it to let Builder Bar find Nix.`, warn: false };
}
