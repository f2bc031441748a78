import { describe, expect, it } from 'vitest';
import { WiringPlanViewSchema } from '../../ipc/contract.js';
import type { WiringPlan } from './planWiring.js';
import { wiringPlanView } from './planView.js';
import { targetLayout } from './wiringTarget.js';

const privateKey = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQSECRET\n-----END OPENSSH PRIVATE KEY-----\n';

function plan(): WiringPlan {
  const target = { kind: 'confDir', dir: '/conf' } as const;
  const snapshot = { exists: false, sha256: null, mode: null };
  return {
    target,
    layout: targetLayout(target),
    files: [
      { path: '/conf/nix.conf', role: 'nix.conf', before: snapshot, after: 'builders = @/conf/machines\n', mode: 0o644, change: 'create', createdByUs: true, secret: false, diff: '--- /dev/null\n+++ b/conf/nix.conf\n@@ -0,0 +1,1 @@\n+builders = @/conf/machines\n' },
      { path: '/conf/builder-bar_ed25519', role: 'client-key', before: snapshot, after: privateKey, mode: 0o600, change: 'create', createdByUs: true, secret: true, diff: 'create /conf/builder-bar_ed25519 (private key, mode 0600, content not shown)\n' },
    ],
    problems: [],
    environment: ['export NIX_CONF_DIR=/conf'],
    changes: true,
    summary: '2 file(s) to write',
    nixDarwinConfig: null,
  };
}

describe('wiringPlanView', () => {
  it('carries every diff but no file content: the private key never leaves the core', () => {
    const view = wiringPlanView(plan());
    const json = JSON.stringify(view);
    expect(json).not.toContain('SECRET');
    expect(json).not.toContain('PRIVATE KEY-----\\n');
    expect(view.files.map((file) => file.diff)).toEqual(plan().files.map((file) => file.diff));
    expect(view.files.every((file) => !('after' in file))).toBe(true);
    expect(view).toMatchObject({ targetDescription: 'the config directory /conf', needsAdmin: false, environment: ['export NIX_CONF_DIR=/conf'] });
    expect(WiringPlanViewSchema.safeParse(view).success).toBe(true);
  });
});
