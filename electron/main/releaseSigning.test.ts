/**
 * Signing and notarization come from the environment only (build/releaseSigning.mjs): every
 * credential set electron-builder knows, each half-set refused with what to set, a release that
 * cannot come out unsigned or un-notarized, and nothing secret in the repository.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { NOTARIZATION_SETS, describePlan, releaseSigningPlan } from '../../build/releaseSigning.mjs';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const certificate = { CSC_LINK: '/secrets/developer-id.p12', CSC_KEY_PASSWORD: 'pw' };
const apiKey = { APPLE_API_KEY: '/secrets/AuthKey_X.p8', APPLE_API_KEY_ID: 'X', APPLE_API_ISSUER: 'issuer' };
const appleId = { APPLE_ID: 'dev@example.org', APPLE_APP_SPECIFIC_PASSWORD: 'abcd-efgh', APPLE_TEAM_ID: 'TEAM123' };

describe('releaseSigningPlan', () => {
  it('builds unsigned with nothing set, and says so to electron-builder instead of letting it guess', () => {
    const plan = releaseSigningPlan({});
    expect(plan).toMatchObject({ signing: 'unsigned', notarization: 'none', problems: [] });
    expect(plan.electronBuilderArgs).toEqual(['-c.mac.identity=null', '-c.electronFuses.resetAdHocDarwinSignature=true', '-c.mac.notarize=false']);
    expect(describePlan(plan)).toMatch(/not signed .*not notarized: Gatekeeper will refuse/);
  });

  it('signs with a .p12 and notarizes with each of the three credential sets', () => {
    for (const [env, mode] of [
      [apiKey, 'api-key'],
      [appleId, 'apple-id'],
      [{ APPLE_KEYCHAIN_PROFILE: 'builder-bar', APPLE_KEYCHAIN: '/k.keychain-db' }, 'keychain-profile'],
    ] as const) {
      const plan = releaseSigningPlan({ ...certificate, ...env, BUILDER_BAR_RELEASE: '1' });
      expect(plan).toMatchObject({ signing: 'certificate', notarization: mode, release: true, problems: [] });
      // Signed and notarized: electron-builder reads the variables itself, nothing overrides it.
      expect(plan.electronBuilderArgs).toEqual([]);
    }
  });

  it('signs with a keychain identity, and refuses one that is not a Developer ID', () => {
    expect(releaseSigningPlan({ CSC_NAME: 'Developer ID Application: Example (TEAM123)' })).toMatchObject({ signing: 'keychain-identity', problems: [] });
    expect(releaseSigningPlan({ CSC_NAME: 'Apple Development: dev@example.org' }).problems).toEqual([expect.stringMatching(/not a Developer ID identity/)]);
  });

  it('refuses every half-set credential with the variable to set', () => {
    expect(releaseSigningPlan({ CSC_LINK: '/x.p12' }).problems).toEqual([expect.stringMatching(/CSC_KEY_PASSWORD is not/)]);
    expect(releaseSigningPlan({ CSC_KEY_PASSWORD: 'pw' }).problems).toEqual([expect.stringMatching(/set CSC_LINK/)]);
    expect(releaseSigningPlan({ ...certificate, CSC_NAME: 'Developer ID Application: X' }).problems).toEqual([expect.stringMatching(/keep one/)]);
    for (const set of NOTARIZATION_SETS.filter((candidate) => candidate.required.length > 1)) {
      for (const left of set.required) {
        const env: Record<string, string> = { ...certificate };
        for (const name of set.required) if (name !== left) env[name] = 'value';
        expect(releaseSigningPlan(env).problems, `${set.mode} without ${left}`).toEqual([expect.stringContaining(`but ${left} is not`)]);
      }
    }
    expect(releaseSigningPlan({ ...certificate, APPLE_KEYCHAIN: '/k' }).problems).toEqual([expect.stringMatching(/APPLE_KEYCHAIN_PROFILE is not/)]);
  });

  it('lets APPLE_TEAM_ID alone be (set for other tools), as electron-builder does', () => {
    expect(releaseSigningPlan({ ...certificate, ...apiKey, APPLE_TEAM_ID: 'TEAM123' })).toMatchObject({ notarization: 'api-key', problems: [] });
  });

  it('refuses two notarization sets, and notarization of an unsigned app', () => {
    expect(releaseSigningPlan({ ...certificate, ...apiKey, ...appleId }).problems).toEqual([expect.stringMatching(/Two notarization credential sets/)]);
    expect(releaseSigningPlan(apiKey).problems).toEqual([expect.stringMatching(/notarizes only signed apps/)]);
  });

  it('will not make a release that is unsigned or not notarized', () => {
    expect(releaseSigningPlan({ BUILDER_BAR_RELEASE: '1' }).problems).toEqual([
      expect.stringMatching(/needs a signing identity/),
      expect.stringMatching(/needs notarization credentials: set one of APPLE_API_KEY \+ APPLE_API_KEY_ID/),
    ]);
    expect(releaseSigningPlan({ ...certificate, BUILDER_BAR_RELEASE: '1' }).problems).toEqual([expect.stringMatching(/needs notarization credentials/)]);
  });

  it('treats an empty or blank variable as not set', () => {
    expect(releaseSigningPlan({ CSC_LINK: '', CSC_KEY_PASSWORD: ' ', APPLE_ID: '' })).toMatchObject({ signing: 'unsigned', notarization: 'none', problems: [] });
  });
});

describe('npm run dist:mac', () => {
  it('is build/dist-mac.mjs, which hands electron-builder the packaging config', () => {
    const pkg = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['dist:mac']).toMatch(/node build\/dist-mac\.mjs$/);
    expect(readFileSync(path.join(projectRoot, 'build', 'dist-mac.mjs'), 'utf8')).toContain("'--config', 'build/electron-builder.yml', '--mac'");
  });

  it('stops before building when the signing environment is half set, saying what to set', async () => {
    const result = await execa('node', [path.join(projectRoot, 'build', 'dist-mac.mjs')], {
      cwd: projectRoot,
      env: { ...certificate, APPLE_ID: 'dev@example.org' },
      extendEnv: false,
      reject: false,
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/signing environment is incomplete[\s\S]*APPLE_APP_SPECIFIC_PASSWORD, APPLE_TEAM_ID are not/);
  });

  it('keeps credentials out of the repository: no key, certificate or credential value under build/', () => {
    const files = readdirSync(path.join(projectRoot, 'build'));
    expect(files.filter((name) => /\.(p12|p8|pem|cer|key|keychain(-db)?|mobileprovision)$/i.test(name))).toEqual([]);
    for (const name of files.filter((file) => /\.(ya?ml|json|plist|mjs|mts)$/.test(file))) {
      const text = readFileSync(path.join(projectRoot, 'build', name), 'utf8');
      expect(text, name).not.toMatch(/-----BEGIN|^\s*(identity|cscLink|cscKeyPassword|appleId|appleIdPassword|teamId)\s*:/m);
    }
  });
});
