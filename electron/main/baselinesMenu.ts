/**
 * The tray's Baselines submenu as a pure function of the core's baselines: repository ->
 * branch -> the short baseline sha with its subject, a prebuilt mark, and Prebuild while the
 * baseline's full build neither exists nor is under way. Branch names are data: they only
 * ever become labels (shortened to fit a menu), and Prebuild carries the exact name back.
 * A repository with thousands of branches shows the first `MAX_BRANCHES_PER_REPO` and an
 * "N more…" item that opens the Dashboard at its Baselines place.
 */
import type { BranchBaseline, PrebuildState, RepoBaselines } from '../ipc/contract.js';
import type { MenuItemModel } from './menuModel.js';

/** macOS draws a menu this long already taller than most screens; the panel lists the rest. */
export const MAX_BRANCHES_PER_REPO = 25;
const MAX_LABEL_CHARS = 60;

const PREBUILD_MARKS: Record<PrebuildState['state'], { mark: string; word: string; canPrebuild: boolean }> = {
  none: { mark: '○', word: 'not built', canPrebuild: true },
  queued: { mark: '…', word: 'queued', canPrebuild: false },
  building: { mark: '…', word: 'building', canPrebuild: false },
  built: { mark: '✓', word: 'built', canPrebuild: false },
  failed: { mark: '✗', word: 'build failed', canPrebuild: true },
  gone: { mark: '○', word: 'no longer in the store', canPrebuild: true },
};

function shorten(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= MAX_LABEL_CHARS ? oneLine : `${oneLine.slice(0, MAX_LABEL_CHARS - 1)}…`;
}

function branchItem(repo: RepoBaselines, branch: BranchBaseline): MenuItemModel {
  const prebuild = PREBUILD_MARKS[branch.prebuild.state];
  const sha = branch.baseline.sha.slice(0, 7);
  const items: MenuItemModel[] = [
    { kind: 'detail', label: shorten(`${sha} ${branch.baseline.subject}`) },
    { kind: 'detail', label: `${prebuild.mark} ${prebuild.word}` },
  ];
  if (branch.rootFallback) items.push({ kind: 'detail', label: 'No commit before the boundary: a root commit' });
  if (branch.offFirstParent) items.push({ kind: 'detail', label: 'Off the first-parent line' });
  if (prebuild.canPrebuild) items.push({ kind: 'prebuild', label: 'Prebuild Baseline', repoId: repo.repo.id, branch: branch.branch });
  return { kind: 'submenu', label: `${shorten(branch.branch)}  ${sha} ${prebuild.mark}`, items };
}

function repoItem(repo: RepoBaselines): MenuItemModel {
  if (repo.state !== 'ok') {
    const word = repo.state === 'computing' ? 'computing…' : repo.state;
    const items: MenuItemModel[] = [
      { kind: 'detail', label: shorten(repo.message ?? repo.repo.path) },
      { kind: 'action', action: 'open-baselines', label: 'Open Baselines…', enabled: true },
    ];
    return { kind: 'submenu', label: `${repo.repo.id} (${word})`, items };
  }
  const shown = repo.branches.slice(0, MAX_BRANCHES_PER_REPO).map((branch) => branchItem(repo, branch));
  const hidden = repo.branches.length - shown.length;
  const items: MenuItemModel[] = shown.length > 0 ? shown : [{ kind: 'detail', label: 'No branches' }];
  if (hidden > 0) {
    items.push({ kind: 'separator' });
    items.push({ kind: 'action', action: 'open-baselines', label: `${hidden} more…`, enabled: true });
  }
  return { kind: 'submenu', label: repo.repo.id, items };
}

/** The Baselines submenu, or nothing when no repository is tracked. */
export function baselinesMenu(repos: readonly RepoBaselines[]): MenuItemModel[] {
  if (repos.length === 0) return [];
  return [{ kind: 'submenu', label: 'Baselines', items: repos.map(repoItem) }];
}
