/**
 * How a Mac build is signed and notarized, decided from environment variables only: nothing
 * secret is in the repository, and the CI secret store (or the releaser's shell) holds it all.
 *
 * electron-builder reads the same variables itself; this module exists so that a half-set
 * configuration is refused before a 10-minute build rather than ending in a silently unsigned or
 * un-notarized dmg (electron-builder only warns "skipped macOS notarization"), and so that a
 * release (`BUILDER_BAR_RELEASE=1`) cannot come out without both.
 *
 * Signing (a "Developer ID Application" certificate):
 *   CSC_LINK + CSC_KEY_PASSWORD   a .p12 file (path, https URL or base64), e.g. from CI secrets
 *   CSC_NAME                      an identity already in the login keychain (a releaser's Mac)
 * Notarization (Apple's notary service), one of electron-builder's three sets:
 *   APPLE_API_KEY + APPLE_API_KEY_ID + APPLE_API_ISSUER           an App Store Connect API key
 *   APPLE_ID + APPLE_APP_SPECIFIC_PASSWORD + APPLE_TEAM_ID       an Apple ID
 *   APPLE_KEYCHAIN_PROFILE (+ APPLE_KEYCHAIN)                     notarytool's stored profile
 */

/** The variables of each notarization set, in electron-builder's order of preference. */
// `triggers`: the variables whose presence makes electron-builder choose that set (APPLE_TEAM_ID
// alone does not: it may be set for other tools).
export const NOTARIZATION_SETS = [
  { mode: 'api-key', required: ['APPLE_API_KEY', 'APPLE_API_KEY_ID', 'APPLE_API_ISSUER'], triggers: ['APPLE_API_KEY', 'APPLE_API_KEY_ID', 'APPLE_API_ISSUER'] },
  { mode: 'apple-id', required: ['APPLE_ID', 'APPLE_APP_SPECIFIC_PASSWORD', 'APPLE_TEAM_ID'], triggers: ['APPLE_ID', 'APPLE_APP_SPECIFIC_PASSWORD'] },
  { mode: 'keychain-profile', required: ['APPLE_KEYCHAIN_PROFILE'], triggers: ['APPLE_KEYCHAIN_PROFILE'] },
];

const setIn = (env, name) => typeof env[name] === 'string' && env[name].trim() !== '';

/**
 * The signing and notarization plan for `env`.
 * @returns {{ signing: 'certificate' | 'keychain-identity' | 'unsigned', notarization: 'api-key' | 'apple-id' | 'keychain-profile' | 'none', release: boolean, problems: string[], electronBuilderArgs: string[] }}
 */
export function releaseSigningPlan(env) {
  const problems = [];
  const release = env.BUILDER_BAR_RELEASE === '1';

  let signing = 'unsigned';
  if (setIn(env, 'CSC_LINK')) {
    signing = 'certificate';
    if (!setIn(env, 'CSC_KEY_PASSWORD')) problems.push('CSC_LINK is set but CSC_KEY_PASSWORD is not: set the .p12 file\'s password in CSC_KEY_PASSWORD.');
    if (setIn(env, 'CSC_NAME')) problems.push('Both CSC_LINK and CSC_NAME are set: keep one (CSC_LINK for a .p12 file, CSC_NAME for an identity in the keychain).');
  } else if (setIn(env, 'CSC_NAME')) {
    signing = 'keychain-identity';
    if (/^(Mac Developer|Apple Development|3rd Party Mac Developer)/.test(env.CSC_NAME)) {
      problems.push(`CSC_NAME "${env.CSC_NAME}" is not a Developer ID identity: a dmg given to users outside the App Store needs "Developer ID Application: …".`);
    }
  } else if (setIn(env, 'CSC_KEY_PASSWORD')) {
    problems.push('CSC_KEY_PASSWORD is set but CSC_LINK is not: set CSC_LINK to the .p12 file (path, https URL or base64).');
  }

  let notarization = 'none';
  for (const set of NOTARIZATION_SETS) {
    if (!set.triggers.some((name) => setIn(env, name))) continue;
    const present = set.required.filter((name) => setIn(env, name));
    if (present.length < set.required.length) {
      const missing = set.required.filter((name) => !setIn(env, name));
      problems.push(`${present.join(', ')} ${present.length === 1 ? 'is' : 'are'} set but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not: notarization needs all of ${set.required.join(', ')}.`);
      continue;
    }
    if (notarization === 'none') notarization = set.mode;
    else problems.push(`Two notarization credential sets are set (${notarization} and ${set.mode}): keep one.`);
  }
  if (setIn(env, 'APPLE_KEYCHAIN') && !setIn(env, 'APPLE_KEYCHAIN_PROFILE')) {
    problems.push('APPLE_KEYCHAIN is set but APPLE_KEYCHAIN_PROFILE is not: name the notarytool profile stored in that keychain.');
  }
  if (notarization !== 'none' && signing === 'unsigned') {
    problems.push('Notarization credentials are set but no signing identity: Apple notarizes only signed apps. Set CSC_LINK + CSC_KEY_PASSWORD or CSC_NAME.');
  }
  if (release && signing === 'unsigned') problems.push('BUILDER_BAR_RELEASE=1 needs a signing identity: set CSC_LINK + CSC_KEY_PASSWORD or CSC_NAME.');
  if (release && notarization === 'none') {
    problems.push(`BUILDER_BAR_RELEASE=1 needs notarization credentials: set one of ${NOTARIZATION_SETS.map((set) => set.required.join(' + ')).join('; or ')}.`);
  }

  // What electron-builder is told on top of build/electron-builder.yml. An unsigned build is
  // said to be one (identity null) rather than left to keychain auto-discovery, and its arm64
  // binary gets a fresh ad-hoc signature after the fuses are flipped, without which Apple
  // silicon refuses to start it.
  const electronBuilderArgs = [];
  if (signing === 'unsigned') electronBuilderArgs.push('-c.mac.identity=null', '-c.electronFuses.resetAdHocDarwinSignature=true');
  if (notarization === 'none') electronBuilderArgs.push('-c.mac.notarize=false');
  return { signing, notarization, release, problems, electronBuilderArgs };
}

/** One paragraph for the person building: what the dmg will be, and what users will see. */
export function describePlan(plan) {
  const signed = {
    certificate: 'signed with the Developer ID certificate in CSC_LINK',
    'keychain-identity': `signed with the keychain identity in CSC_NAME`,
    unsigned: 'not signed (set CSC_LINK + CSC_KEY_PASSWORD or CSC_NAME to sign)',
  }[plan.signing];
  const notarized = plan.notarization === 'none' ? 'not notarized: Gatekeeper will refuse to open it on other Macs' : `notarized (${plan.notarization} credentials)`;
  return `Builder Bar for macOS (dmg and zip, arm64 and x64): ${signed}; ${notarized}.`;
}
