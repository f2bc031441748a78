/**
 * The build queue in the Dashboard through the headless door: a real `serve`, real Nix
 * (Debian's nix-bin) and the real linux-test guest under TCG. The wiring goes into a conf dir
 * inside the test's state dir, and `NIX_CONFIG='max-jobs = 0'` in serve's environment forbids
 * local builds (this host is x86_64-linux too), so the derivation can only build in the guest.
 * One VM boot: the one the waiting build asks for.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from './fixtures/headlessDoor.js';
import { openPlace } from './fixtures/places.js';
import { freeLoopbackPort } from '../electron/core/vm/testing/freeLoopbackPort.js';


test('the Build form refuses a relative path and a target Nix would read as an option', async ({ page, door }) => {
  await page.goto(door.url);
  await openPlace(page, 'Builds');
  const form = page.getByRole('form', { name: 'Start a build' });
  const build = form.getByRole('button', { name: 'Build' });
  await expect(build).toBeDisabled();

  await form.getByRole('textbox', { name: 'File', exact: true }).fill('job.nix');
  await expect(form.getByText('an absolute path to a .nix file')).toBeVisible();
  await expect(form.getByRole('textbox', { name: 'File', exact: true })).toHaveAttribute('aria-invalid', 'true');
  await expect(build).toBeDisabled();
  await form.getByRole('textbox', { name: 'Attribute (optional)' }).fill('-A');
  await expect(form.getByText('an attribute must not start with "-"')).toBeVisible();

  await form.getByRole('textbox', { name: 'File', exact: true }).fill('/somewhere/job.nix');
  await form.getByRole('textbox', { name: 'Attribute (optional)' }).fill('hello');
  await expect(form.getByText('an absolute path to a .nix file')).toBeHidden();
  await expect(build).toBeEnabled();

  await form.getByRole('radiogroup', { name: 'What to build' }).getByText('Installable').click();
  await form.getByRole('textbox', { name: 'Installable', exact: true }).fill('--store');
  await expect(form.getByText('an installable must not start with "-"')).toBeVisible();
  await expect(build).toBeDisabled();
  // Nothing was sent: the queue is still empty.
  await expect(page.getByText('No builds yet.')).toBeVisible();
});

test.describe('with the builder', () => {
  test.use({ serveEnv: { NIX_CONFIG: 'max-jobs = 0' } });

  test('a build from the Dashboard waits for the builder, runs in the guest, and shows its log', async ({ page, door }, testInfo) => {
    test.setTimeout(12 * 60_000);
    const confDir = path.join(door.stateDir, 'nixconf');
    const nixFile = path.join(door.stateDir, 'job.nix');
    const nonce = `${Date.now()}-${process.pid}`;
    await writeFile(
      nixFile,
      `builtins.derivation {
         name = "bb-e2e-probe";
         system = "x86_64-linux";
         builder = "/bin/sh";
         args = [ "-c" "read v < /proc/version; echo \\"$v\\" > $out; echo printed-by-the-guest-${nonce}" ];
         nonce = "${nonce}";
       }\n`,
    );

    // A port of its own, so a builder another test left behind cannot answer in its place.
    const port = await freeLoopbackPort();
    expect((await door.cli(['settings', 'set', `hostPort=${port}`])).exitCode).toBe(0);
    // The wiring needs the keys, which the core makes when the builder starts; then the builder
    // is stopped again, so the build below has to wait for it.
    const started = await door.cli(['start']);
    expect(started.exitCode, started.stderr).toBe(0);
    const applied = await door.cli(['nix', 'apply', '--conf-dir', confDir], 120_000);
    expect(applied.exitCode, `${applied.stdout}\n${applied.stderr}`).toBe(0);
    const stopped = await door.cli(['stop', '--force'], 120_000);
    expect(stopped.exitCode, stopped.stderr).toBe(0);

    await page.goto(door.url);
    await expect(page.getByRole('status', { name: 'Builder state' })).toHaveText(/Stopped/, { timeout: 60_000 });
    await openPlace(page, 'Builds');
    const form = page.getByRole('form', { name: 'Start a build' });
    await form.getByRole('textbox', { name: 'File', exact: true }).fill(nixFile);
    await form.getByRole('button', { name: 'Build' }).click();

    const row = page.getByRole('listitem', { name: `Build ${nixFile}` });
    const state = row.getByLabel('Build state');
    await expect(state).toHaveText(/Waiting for builder|Running/);
    await expect(page.getByLabel('Builds running')).toHaveText('1 running');
    await expect(row.getByRole('button', { name: 'Cancel' })).toBeVisible();

    await expect(state).toHaveText('Succeeded', { timeout: 10 * 60_000 });
    await expect(row.getByLabel('Progress')).toHaveText('1/1 done');
    await expect(page.getByLabel('Builds running')).toHaveText('none running');
    await expect(row.getByRole('button', { name: 'Cancel' })).toBeHidden();

    await row.getByRole('button', { name: /Derivations \(1\)/ }).click();
    const derivation = row.getByRole('list', { name: 'Derivations' }).getByRole('listitem');
    await expect(derivation).toHaveCount(1);
    await expect(derivation.getByText('bb-e2e-probe')).toBeVisible();
    await expect(derivation.getByText('done', { exact: true })).toBeVisible();
    await expect(derivation.getByLabel('Machine')).toHaveText(/^ssh(-ng)?:\/\//);

    await derivation.getByRole('button').first().click();
    const log = derivation.getByRole('log', { name: 'Log of bb-e2e-probe' });
    await expect(log).toContainText(`printed-by-the-guest-${nonce}`);

    const shot = testInfo.outputPath('builds-succeeded.png');
    await page.screenshot({ path: shot, fullPage: true });
    await testInfo.attach('builds-succeeded', { path: shot, contentType: 'image/png' });
  });
});
