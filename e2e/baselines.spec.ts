/**
 * The Baselines panel through the headless door, against the real core and a git repository
 * generated here with controlled committer and author dates. `git rev-list` is the oracle: each
 * branch's baseline in the panel must be `git rev-list --before=B -1 <branch>` (or the root
 * commit when that is empty), with B read from the panel itself. Then a commit lands on a branch
 * (dated before B, after its old baseline) and the panel moves without a reload. A path that is
 * not a git work tree is refused inside the form.
 *
 * The interval is a day on the wall clock, so commit dates are placed relative to the current
 * UTC midnight; a run that would straddle midnight waits for it first.
 */
import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Locator } from '@playwright/test';
import { expect, test } from './fixtures/headlessDoor.js';
import { openPlace } from './fixtures/places.js';

const DAY = 86_400;
/** git allows all of these in a branch name; the panel must show it as text and nothing else. */
const ODD_BRANCH = `odd/$(id);'q'"&`;

async function git(repo: string, args: string[], epoch?: number): Promise<string> {
  const dates = epoch === undefined ? {} : { GIT_COMMITTER_DATE: `${epoch} +0000`, GIT_AUTHOR_DATE: `${epoch - 3_600} +0000` };
  const result = await execa('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.org', '-c', 'commit.gpgsign=false', ...args], {
    cwd: repo,
    env: { ...dates, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
  });
  return String(result.stdout).trim();
}

/** A commit on the checked-out branch with the given committer date (the author date is an hour earlier, on purpose). */
async function commit(repo: string, file: string, subject: string, epoch: number): Promise<string> {
  await writeFile(path.join(repo, file), `${subject}\n`);
  await git(repo, ['add', '--', file]);
  await git(repo, ['commit', '-q', '-m', subject], epoch);
  return git(repo, ['rev-parse', 'HEAD']);
}

/** FACTS.md section 3, computed by git itself. */
async function oracleBaseline(repo: string, branch: string, boundary: number): Promise<string> {
  const before = await git(repo, ['rev-list', `--before=@${boundary}`, '-1', '--end-of-options', `refs/heads/${branch}`]);
  if (before !== '') return before;
  return git(repo, ['rev-list', '--max-parents=0', '-1', '--end-of-options', `refs/heads/${branch}`]);
}

async function waitOutMidnight(): Promise<void> {
  const left = DAY - (Math.floor(Date.now() / 1000) % DAY);
  if (left < 90) await new Promise((resolve) => setTimeout(resolve, (left + 2) * 1000));
}

interface Fixture {
  repo: string;
  boundary: number;
  shas: Record<'root' | 'mainBase' | 'mainAfter' | 'releaseBase' | 'lateRoot', string>;
}

/**
 * main:    root (B-3d) - mainBase (B-2h) - mainAfter (B+1)         baseline mainBase
 * feature: main at mainBase + one commit after B                    baseline mainBase (shared with main)
 * release: root + releaseBase (B-1d)                                baseline releaseBase
 * ODD:     same commit as release                                   baseline releaseBase (shared)
 * late:    an orphan whose commits are all after B                  root fallback: lateRoot
 */
async function makeRepo(parent: string, boundary: number): Promise<Fixture> {
  const repo = path.join(parent, 'shop-app');
  await execa('git', ['init', '-q', '-b', 'main', repo]);
  const root = await commit(repo, 'a.txt', 'Initial commit', boundary - 3 * DAY);
  const mainBase = await commit(repo, 'a.txt', 'Main before the boundary', boundary - 7_200);
  await git(repo, ['checkout', '-q', '-b', 'feature']);
  await commit(repo, 'f.txt', 'Feature after the boundary', boundary + 2);
  await git(repo, ['checkout', '-q', '-b', 'release', root]);
  const releaseBase = await commit(repo, 'r.txt', 'Release candidate', boundary - DAY);
  await git(repo, ['branch', '--', ODD_BRANCH]);
  await git(repo, ['checkout', '-q', '--orphan', 'late']);
  await git(repo, ['rm', '-rq', '--cached', '.']);
  const lateRoot = await commit(repo, 'l.txt', 'Late root', boundary + 3);
  await commit(repo, 'l.txt', 'Late second', boundary + 4);
  await git(repo, ['checkout', '-q', '-f', 'main']);
  const mainAfter = await commit(repo, 'a.txt', 'Main after the boundary', boundary + 1);
  return { repo, boundary, shas: { root, mainBase, mainAfter, releaseBase, lateRoot } };
}

/**
 * Scrolls the repository's branch list until `target` is in the page: the list is virtualized,
 * so a row or group header outside its viewport does not exist until the list scrolls to it
 * (as a user would).
 */
async function scrolledTo(repoSection: Locator, target: Locator, what: string): Promise<Locator> {
  const scroller = repoSection.getByTestId('virtuoso-scroller');
  await scroller.evaluate((element) => element.scrollTo({ top: 0 }));
  for (let step = 0; step < 50; step += 1) {
    if ((await target.count()) > 0) {
      // The list may re-render under us (a baselines event): a row that went away is looked for again.
      const shown = await target
        .first()
        .scrollIntoViewIfNeeded({ timeout: 2_000 })
        .then(() => true)
        .catch(() => false);
      if (shown) return target.first();
    }
    const moved = await scroller.evaluate((element) => {
      const before = element.scrollTop;
      element.scrollTo({ top: before + element.clientHeight / 2 });
      return element.scrollTop !== before;
    });
    await repoSection.page().waitForTimeout(50);
    if (!moved && (await target.count()) === 0) break;
  }
  throw new Error(`${what} is not in the list`);
}

function branchRow(repoSection: Locator, name: string): Promise<Locator> {
  return scrolledTo(repoSection, repoSection.getByRole('article', { name: `Branch ${name}`, exact: true }), `The branch ${JSON.stringify(name)}`);
}

/** The header of the group of branches whose baseline is `sha`. */
function groupHeading(repoSection: Locator, sha: string): Promise<Locator> {
  return scrolledTo(repoSection, repoSection.getByRole('heading', { name: new RegExp(`^${sha.slice(0, 7)} `) }), `The group of ${sha}`);
}

async function shownBaseline(row: Locator): Promise<string> {
  return (await row.getByLabel('Baseline', { exact: true }).getAttribute('title', { timeout: 5_000 })) ?? '';
}

test('the panel shows each branch baseline as git rev-list computes it, and moves when a commit lands', async ({ page, door }) => {
  test.setTimeout(120_000);
  await waitOutMidnight();
  const boundary = Math.floor(Date.now() / 1000 / DAY) * DAY;
  const parent = await mkdtemp(path.join(os.tmpdir(), 'bb-baselines-'));
  try {
    const { repo, shas } = await makeRepo(parent, boundary);

    await page.goto(door.url);
    await openPlace(page, 'Baselines');
    const panel = page.getByRole('region', { name: 'Baselines' });
    await expect(panel.getByText('No tracked repositories.')).toBeVisible();
    await panel.getByRole('button', { name: 'Add repository…' }).click();
    const form = panel.getByRole('form', { name: 'Add a repository' });
    const pathField = form.getByRole('textbox', { name: 'Work tree path' });

    // Bad input first: the schema's words as the user types, then the core's refusal in the form.
    await pathField.fill('shop-app');
    await expect(form.getByText('an absolute path')).toBeVisible();
    const nowhere = path.join(parent, 'no-such-repo');
    await pathField.fill(nowhere);
    await form.getByRole('button', { name: 'Add repository' }).click();
    await expect(form.getByRole('alert')).toContainText(`${nowhere} does not exist.`);
    await pathField.fill(parent);
    await form.getByRole('button', { name: 'Add repository' }).click();
    await expect(form.getByRole('alert')).toContainText(`${parent} is not a git work tree`);

    await pathField.fill(repo);
    await expect(form.getByRole('radio', { name: 'Day' })).toBeChecked();
    await expect(form.getByRole('radio', { name: 'wall clock' })).toBeChecked();
    await form.getByRole('button', { name: 'Add repository' }).click();
    await expect(form).toBeHidden();

    const section = panel.getByRole('region', { name: 'Repository shop-app' });
    await expect(section.getByLabel('Repository state')).toHaveText('OK');
    await expect(section).toContainText('daily (UTC midnight)');
    const branches = ['main', 'feature', 'release', ODD_BRANCH, 'late'];
    for (const name of branches) await expect(await branchRow(section, name)).toBeVisible();

    // B as the panel shows it is the B the oracle uses.
    const mainBoundary = (await branchRow(section, 'main')).getByLabel('Boundary');
    expect(await mainBoundary.getAttribute('datetime')).toBe(new Date(boundary * 1000).toISOString().replace('.000Z', 'Z'));
    await expect(mainBoundary).toHaveText(`${new Date(boundary * 1000).toISOString().slice(0, 10)} 00:00:00 UTC`);
    const shownFor = async (name: string): Promise<string> => shownBaseline(await branchRow(section, name));
    for (const name of branches) expect(await shownFor(name), name).toBe(await oracleBaseline(repo, name, boundary));
    // And what the oracle says is what the fixture meant: the commit just before B, shared by
    // two branches; a branch's own older commit; the root when nothing precedes B.
    expect(await shownFor('main')).toBe(shas.mainBase);
    expect(await shownFor('feature')).toBe(shas.mainBase);
    expect(await shownFor('release')).toBe(shas.releaseBase);
    expect(await shownFor(ODD_BRANCH)).toBe(shas.releaseBase);
    expect(await shownFor('late')).toBe(shas.lateRoot);

    const late = await branchRow(section, 'late');
    await expect(late).toContainText('root fallback');
    await expect(late.getByLabel('Since baseline')).toHaveText('1 commit, 1 file since');
    await expect(await groupHeading(section, shas.lateRoot)).toContainText('one full build serves this branch');
    await expect(await groupHeading(section, shas.mainBase)).toContainText('one full build serves 2 branches');

    const main = await branchRow(section, 'main');
    await expect(main).not.toContainText('root fallback');
    await expect(main.getByLabel('Tip')).toHaveText(shas.mainAfter.slice(0, 7));
    await expect(main.getByLabel('Baseline subject')).toHaveText('Main before the boundary');
    await expect(main.getByLabel('Since baseline')).toHaveText('1 commit, 1 file since');
    await expect(main.getByLabel('Shared with')).toHaveText('shares its full build with feature');
    await expect(main.getByLabel('Prebuild state')).toHaveText('○ not built');
    await expect(main.getByRole('button', { name: 'Prebuild' })).toBeEnabled();

    // The countdown ticks by itself, without a request, towards the next UTC midnight.
    const countdown = main.getByLabel('Next rollover');
    const first = await countdown.textContent();
    await expect(countdown).not.toHaveText(first ?? '', { timeout: 3_000 });
    const [hours, minutes, seconds] = (await countdown.textContent())!.split(':').map(Number);
    const left = boundary + DAY - Date.now() / 1000;
    expect(Math.abs(hours! * 3_600 + minutes! * 60 + seconds! - left)).toBeLessThan(5);

    // A commit lands on release (not checked out), dated after its baseline but before B.
    await page.evaluate(() => {
      document.body.dataset.sameDocument = 'yes';
    });
    const releaseTip = await git(repo, ['rev-parse', 'refs/heads/release']);
    const tree = await git(repo, ['rev-parse', `${releaseTip}^{tree}`]);
    const landed = await git(repo, ['commit-tree', tree, '-p', releaseTip, '-m', 'Hotfix dated before the boundary'], boundary - 60);
    await git(repo, ['update-ref', 'refs/heads/release', landed, releaseTip]);
    expect(await oracleBaseline(repo, 'release', boundary)).toBe(landed);

    // No reload: the panel follows the core's event (a reload would drop this mark).
    await expect.poll(() => shownFor('release').catch((error: unknown) => String(error)), { timeout: 15_000 }).toBe(landed);
    await expect((await branchRow(section, 'release')).getByLabel('Baseline subject')).toHaveText('Hotfix dated before the boundary');
    expect(await page.evaluate(() => document.body.dataset.sameDocument)).toBe('yes');
    // The odd branch did not move: its baseline now has a full build of its own, as has release's.
    expect(await shownFor(ODD_BRANCH)).toBe(shas.releaseBase);
    await expect(await groupHeading(section, landed)).toContainText('one full build serves this branch');
    await expect(await groupHeading(section, shas.releaseBase)).toContainText('one full build serves this branch');
    for (const name of branches) expect(await shownFor(name), name).toBe(await oracleBaseline(repo, name, boundary));

    // Remove takes the repository away, in the core's settings too.
    await section.getByRole('button', { name: 'Remove' }).click();
    await expect(section).toBeHidden();
    const saved = await door.cli(['settings', 'get', '--json']);
    expect(JSON.parse(saved.stdout).trackedRepos).toEqual([]);

    // A repository with no commit yet says why it shows no branch, and shows its first one live.
    const empty = path.join(parent, 'new-app');
    await execa('mkdir', ['--', empty]);
    await git(empty, ['init', '-q', '-b', 'main']);
    await panel.getByRole('button', { name: 'Add repository…' }).click();
    await pathField.fill(empty);
    await form.getByRole('button', { name: 'Add repository' }).click();
    await expect(form).toBeHidden();
    const newApp = panel.getByRole('region', { name: 'Repository new-app' });
    await expect(newApp.getByRole('status')).toHaveText(/^No branches yet: the repository has no commits on a local branch\./);
    await commit(empty, 'README', 'First commit', boundary - 60);
    await expect(await branchRow(newApp, 'main')).toBeVisible({ timeout: 15_000 });
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
});
