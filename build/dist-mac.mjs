#!/usr/bin/env node
/**
 * `npm run dist:mac`: the dmg and zip for Apple silicon and Intel, signed and notarized as the
 * environment says (build/releaseSigning.mjs). A half-set configuration stops here, before the
 * build, with what to set; a release (BUILDER_BAR_RELEASE=1) must be both signed and notarized.
 * Runs on a Mac: electron-builder needs codesign, hdiutil and Apple's notary tool.
 */
import { execa } from 'execa';
import { describePlan, releaseSigningPlan } from './releaseSigning.mjs';

const plan = releaseSigningPlan(process.env);
if (plan.problems.length > 0) {
  process.stderr.write(`Not building: the signing environment is incomplete.\n${plan.problems.map((problem) => `  - ${problem}`).join('\n')}\n`);
  process.exit(2);
}
process.stdout.write(`${describePlan(plan)}\n`);
if (process.platform !== 'darwin') {
  process.stderr.write('A Mac build needs macOS (codesign, hdiutil, notarytool): run npm run dist:mac on a Mac.\n');
  process.exit(2);
}
const result = await execa('npx', ['electron-builder', '--config', 'build/electron-builder.yml', '--mac', ...plan.electronBuilderArgs], { stdio: 'inherit', reject: false });
process.exit(result.exitCode ?? 1);
