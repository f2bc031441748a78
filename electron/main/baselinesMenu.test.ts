import { describe, expect, it } from 'vitest';
import { BaselinesListSchema, type BranchBaseline, type PrebuildState, type RepoBaselines } from '../ipc/contract.js';
import { defaultSettings } from '../core/settings/defaults.js';
import { initialStatus } from '../ipc/initialStatus.js';
import { baselinesMenu, MAX_BRANCHES_PER_REPO } from './baselinesMenu.js';
import { menuModel, type MenuItemModel } from './menuModel.js';
import { menuTemplate } from './menuTemplate.js';
import type { MenuItemConstructorOptions } from 'electron';

const B = 1_704_844_800;

function branch(name: string, state: PrebuildState['state'] = 'none', extra: Partial<BranchBaseline> = {}): BranchBaseline {
  return {
    branch: name,
    detached: false,
    tip: 'f'.repeat(40),
    tipCommitTime: B + 10,
    time: B + 20,
    boundary: B,
    nextRollover: B + 86_400,
    baseline: { sha: `1234567${'a'.repeat(33)}`, subject: 'Release 1.0', commitTime: B - 5, authorTime: B - 5 },
    rootFallback: false,
    offFirstParent: false,
    commitsSince: 1,
    filesChanged: 1,
    sharedWith: [],
    sharedCount: 0,
    warnings: [],
    prebuild: { state, buildId: null, outPath: state === 'built' ? '/nix/store/abc-app' : null, message: null },
    ...extra,
  };
}

function repo(id: string, branches: BranchBaseline[], extra: Partial<RepoBaselines> = {}): RepoBaselines {
  return {
    repo: { id, path: `/src/${id}`, intervalSeconds: 86_400, timeSource: 'wall-clock', branchPattern: null, fullBuild: ['nix-build', '{repo}'] },
    state: 'ok',
    message: null,
    shallow: false,
    computedAt: B + 20,
    branches,
    groups: [{ baseline: branches[0]?.baseline.sha ?? `1234567${'a'.repeat(33)}`, branches: branches.map((b) => b.branch) }],
    ...extra,
  };
}

function submenu(item: MenuItemModel | undefined): { label: string; items: MenuItemModel[] } {
  if (item?.kind !== 'submenu') throw new Error(`not a submenu: ${JSON.stringify(item)}`);
  return item;
}

describe('baselinesMenu', () => {
  it('is absent while no repository is tracked', () => {
    expect(baselinesMenu([])).toEqual([]);
  });

  it('goes repository -> branch -> short baseline with subject, a prebuilt mark and Prebuild', () => {
    const repos = [repo('app', [branch('main', 'built'), branch('dev', 'none'), branch('wip', 'building')])];
    expect(BaselinesListSchema.safeParse({ repos }).success).toBe(true);
    const top = submenu(baselinesMenu(repos)[0]);
    expect(top.label).toBe('Baselines');
    const app = submenu(top.items[0]);
    expect(app.label).toBe('app');
    expect(app.items.map((item) => (item.kind === 'submenu' ? item.label : item.kind))).toEqual([
      'main  1234567 ✓',
      'dev  1234567 ○',
      'wip  1234567 …',
    ]);
    const [main, dev, wip] = app.items.map(submenu);
    expect(main!.items).toEqual([
      { kind: 'detail', label: '1234567 Release 1.0' },
      { kind: 'detail', label: '✓ built' },
    ]);
    expect(dev!.items).toContainEqual({ kind: 'prebuild', label: 'Prebuild Baseline', repoId: 'app', branch: 'dev' });
    // Nothing to ask for while the build is under way.
    expect(wip!.items.some((item) => item.kind === 'prebuild')).toBe(false);
  });

  it('carries a branch name with shell metacharacters as data, exactly, into Prebuild', () => {
    const name = `feat/$(touch /tmp/x);'"\`&`;
    const app = submenu(submenu(baselinesMenu([repo('app', [branch(name, 'failed')])])[0]).items[0]);
    const item = submenu(app.items[0]);
    expect(item.label.startsWith(name)).toBe(true);
    expect(item.items).toContainEqual({ kind: 'prebuild', label: 'Prebuild Baseline', repoId: 'app', branch: name });
  });

  it('caps a repository with thousands of branches and opens the panel for the rest', () => {
    const many = Array.from({ length: 3000 }, (_, i) => branch(`b${i}`));
    const app = submenu(submenu(baselinesMenu([repo('big', many)])[0]).items[0]);
    expect(app.items.filter((item) => item.kind === 'submenu')).toHaveLength(MAX_BRANCHES_PER_REPO);
    expect(app.items.at(-1)).toEqual({ kind: 'action', action: 'open-baselines', label: `${3000 - MAX_BRANCHES_PER_REPO} more…`, enabled: true });
  });

  it('shows a missing repository with its message instead of branches', () => {
    const gone = repo('old', [], { state: 'missing', message: '/src/old no longer exists' });
    const old = submenu(submenu(baselinesMenu([gone])[0]).items[0]);
    expect(old.label).toBe('old (missing)');
    expect(old.items[0]).toEqual({ kind: 'detail', label: '/src/old no longer exists' });
    expect(old.items[1]).toEqual({ kind: 'action', action: 'open-baselines', label: 'Open Baselines…', enabled: true });
  });

  it('says a repository is still being computed', () => {
    const busy = repo('big', [], { state: 'computing', message: 'Reading the history…' });
    expect(submenu(submenu(baselinesMenu([busy])[0]).items[0]).label).toBe('big (computing…)');
  });

  it('flags the root fallback and an off-first-parent baseline', () => {
    const odd = branch('odd', 'none', { rootFallback: true, offFirstParent: true });
    const item = submenu(submenu(submenu(baselinesMenu([repo('app', [odd])])[0]).items[0]).items[0]);
    expect(item.items).toContainEqual({ kind: 'detail', label: 'No commit before the boundary: a root commit' });
    expect(item.items).toContainEqual({ kind: 'detail', label: 'Off the first-parent line' });
  });
});

describe('the Baselines submenu in the tray menu', () => {
  const status = { ...initialStatus('linux-test', 1), detail: '' };

  it('sits before Open Dashboard, and Prebuild clicks report the exact branch', () => {
    const model = menuModel(status, defaultSettings('linux'), [repo('app', [branch('a;b&c', 'none')])]);
    const index = model.findIndex((item) => item.kind === 'submenu');
    expect(model[index + 1]).toMatchObject({ kind: 'action', action: 'open-dashboard' });
    const prebuilt: [string, string][] = [];
    const template = menuTemplate(model, () => undefined, (repoId, name) => prebuilt.push([repoId, name]));
    const baselines = template.find((item) => item.label === 'Baselines');
    const app = (baselines?.submenu as MenuItemConstructorOptions[])[0]!;
    const ab = (app.submenu as MenuItemConstructorOptions[])[0]!;
    const prebuild = (ab.submenu as MenuItemConstructorOptions[]).find((item) => item.label === 'Prebuild Baseline');
    // An `&` in a branch name is doubled in the label (Electron would read it as a mnemonic)…
    expect(ab.label).toMatch(/^a;b&&c /);
    prebuild?.click?.({} as never, undefined, {} as never);
    // …and the click still carries the exact name.
    expect(prebuilt).toEqual([['app', 'a;b&c']]);
  });

  it('leaves the menu as it was when nothing is tracked', () => {
    expect(menuModel(status, defaultSettings('linux'), [])).toEqual(menuModel(status, defaultSettings('linux')));
  });
});
