import { describe, expect, it } from 'vitest';
import { runScriptQemuOpts } from '../core/vm/profiles/runScriptEnv.js';
import { withoutControlPort } from './startToReady.js';

describe('the bare baseline\'s QEMU_OPTS', () => {
  it('are the supervisor\'s without the control port, the snapshot monitor and a restore\'s words', () => {
    const base = { accelerator: 'tcg', cpus: 1, memoryMiB: 1024, hostPort: 2222, vmDir: '/v', diskImage: '/v/d', keysDir: '/k', bootMarker: 'builder-bar-boot-0123456789', withHostKey: true } as const;
    const plain = runScriptQemuOpts(base).join(' ');
    expect(withoutControlPort(runScriptQemuOpts({ ...base, withControlPort: true }).join(' '))).toBe(plain);
    expect(withoutControlPort(runScriptQemuOpts({ ...base, withControlPort: true, incoming: true }).join(' '))).toBe(plain);
  });
});
