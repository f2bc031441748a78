/**
 * Checks build/electron-builder.yml (the macOS packaging config) and its entitlements: the
 * security fields a release must never lose, and that electron-builder itself accepts the file.
 * It lives here rather than in build/ because vitest's unit project collects electron/**.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);

// js-yaml and app-builder-lib come with electron-builder (a devDependency) and ship no types
// this project installs; only the one call each is used, so it is typed here.
const yaml = require('js-yaml') as { load(text: string): unknown };
const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
  validateConfiguration(config: unknown, debugLogger: { isEnabled: boolean; add(key: string, value: unknown): void }): Promise<void>;
};

interface BuilderConfig {
  appId?: string;
  productName?: string;
  files?: string[];
  extraResources?: Array<{ from: string; to: string; filter?: string[] }>;
  mac?: {
    category?: string;
    icon?: string;
    target?: Array<{ target: string; arch: string[] }>;
    hardenedRuntime?: boolean;
    entitlements?: string;
    entitlementsInherit?: string;
    extendInfo?: Record<string, unknown>;
  };
  electronFuses?: Record<string, boolean>;
}

const configFile = path.join(projectRoot, 'build', 'electron-builder.yml');
const config = yaml.load(readFileSync(configFile, 'utf8')) as BuilderConfig;

describe('electron-builder config', () => {
  // The first validation compiles electron-builder's whole JSON schema: seconds on a loaded CI core.
  it('is accepted by electron-builder', { timeout: 60_000 }, async () => {
    await expect(validateConfiguration(config, { isEnabled: false, add: () => undefined })).resolves.toBeUndefined();
  });

  it('is accepted with the overrides of an unsigned, un-notarized build (build/releaseSigning.mjs)', { timeout: 60_000 }, async () => {
    const unsigned = { ...config, mac: { ...config.mac, identity: null, notarize: false }, electronFuses: { ...config.electronFuses, resetAdHocDarwinSignature: true } };
    await expect(validateConfiguration(unsigned, { isEnabled: false, add: () => undefined })).resolves.toBeUndefined();
  });

  it('is the npm dist:mac script config', () => {
    const pkg = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['dist:mac']).toContain('build/dist-mac.mjs');
  });

  it('names the product and a reverse-DNS app id', () => {
    expect(config.productName).toBe('Builder Bar');
    expect(config.appId).toMatch(/^[a-z0-9-]+(\.[A-Za-z0-9-]+){2,}$/);
  });

  it('builds a dmg and a zip for Apple silicon and Intel', () => {
    const targets = Object.fromEntries((config.mac?.target ?? []).map((target) => [target.target, [...target.arch].sort()]));
    expect(targets).toEqual({ dmg: ['arm64', 'x64'], zip: ['arm64', 'x64'] });
  });

  it('is a menu-bar app in the developer tools category', () => {
    expect(config.mac?.extendInfo?.LSUIElement).toBe(true);
    expect(config.mac?.category).toBe('public.app-category.developer-tools');
  });

  it('signs with the hardened runtime and the minimal entitlements', () => {
    expect(config.mac?.hardenedRuntime).toBe(true);
    expect(config.mac?.entitlements).toBe('build/entitlements.mac.plist');
    expect(config.mac?.entitlementsInherit).toBe('build/entitlements.mac.plist');
    const plist = readFileSync(path.join(projectRoot, 'build', 'entitlements.mac.plist'), 'utf8');
    const withoutComments = plist.replace(/<!--[\s\S]*?-->/g, '');
    const keys = [...withoutComments.matchAll(/<key>([^<]+)<\/key>\s*<(true|false)\/>/g)].map((match) => [match[1], match[2]]);
    // Only V8's JIT. Not the hypervisor (QEMU, a separate binary, holds that), nothing that
    // weakens library validation.
    expect(keys).toEqual([['com.apple.security.cs.allow-jit', 'true']]);
  });

  it('turns off the fuses that let someone run code as the app', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
    });
  });

  it('packs the built app and copies resources beside it', () => {
    expect(config.files).toEqual(expect.arrayContaining(['package.json', 'out/**']));
    expect(config.extraResources).toContainEqual(expect.objectContaining({ from: 'resources', to: 'resources' }));
  });

  it('points at an app icon electron-builder can turn into an icns (at least 512x512)', () => {
    const icon = readFileSync(path.join(projectRoot, config.mac?.icon ?? 'missing'));
    expect(icon.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect(icon.readUInt32BE(16)).toBeGreaterThanOrEqual(512);
    expect(icon.readUInt32BE(20)).toBe(icon.readUInt32BE(16));
  });
});
