/**
 * What a real Nix (the current one: json-log-path needs >= 2.30) does with Builder Bar's log
 * socket, and that the listener keeps Nix from stalling or failing. Local builds of tiny
 * derivations with `nix build` (the new CLI reads json-log-path itself; nix-build only does so
 * inside a nix-daemon, see externalBuilds.integration.test.ts); no guest is booted.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nixHas } from '../nix/nixFeatures.js';
import { nixVersions } from '../nix/testing/nixVersions.js';
import { ExternalBuildStreams } from './externalBuildStream.js';
import { LogSocketListener, nixLogSocketPath } from './logSocket.js';

const tinyNix = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testing', 'tiny.nix');
const withJsonLogPath = nixVersions().filter((nix) => nixHas(nix.version, 'json-log-path'));

let root: string;
let stateDir: string;
let confDir: string;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'bb-logsock-int-'));
  stateDir = path.join(root, 'state');
  confDir = path.join(root, 'conf');
  await fs.mkdir(stateDir, { mode: 0o700 });
  await fs.mkdir(confDir);
  await fs.writeFile(
    path.join(confDir, 'nix.conf'),
    ['build-users-group =', 'sandbox = false', 'substituters =', 'experimental-features = nix-command', `json-log-path = ${nixLogSocketPath(stateDir)}`, ''].join('\n'),
  );
});

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

if (withJsonLogPath.length === 0) {
  it.skip('no Nix >= 2.30 here: run `node resources/setup/ensure-current-nix.mjs`', () => undefined);
}

describe.each(withJsonLogPath)('json-log-path socket with $label', (nix) => {
  const build = (attr: string) =>
    execa(path.join(nix.binDir, 'nix'), ['build', '-f', tinyNix, attr, '--argstr', 'nonce', `${Date.now()}-${Math.random()}`, '--no-link', '-L'], {
      env: { NIX_CONF_DIR: confDir },
      reject: false,
      stdin: 'ignore',
    });

  it('a build while the listener runs shows in the queue as external, with its log lines; Nix builds as usual', async () => {
    const streams = new ExternalBuildStreams();
    const { listener } = await LogSocketListener.open({ socketPath: nixLogSocketPath(stateDir), onLine: (c, l) => streams.line(c, l), onClose: (c) => streams.closed(c) });
    try {
      const result = await build('success');
      expect(result.exitCode).toBe(0);
      for (let i = 0; i < 200 && listener.counts().open > 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
      const [view] = streams.list();
      expect(view).toMatchObject({ source: 'external', state: 'succeeded', target: { kind: 'external', description: 'bb-success' } });
      expect(view!.derivations[0]).toMatchObject({ name: 'bb-success', machine: 'local', state: 'done' });
      expect(streams.log(view!.id, view!.derivations[0]!.drvPath)?.lines).toEqual(['building success', 'a line on stderr']);
      expect(streams.counts().malformed).toBe(0);
    } finally {
      await listener.close();
    }
  });

  it('a noisy build (20,000 log lines, more than any socket buffer) is never held up by the listener', async () => {
    const streams = new ExternalBuildStreams();
    const { listener } = await LogSocketListener.open({ socketPath: nixLogSocketPath(stateDir), onLine: (c, l) => streams.line(c, l), onClose: (c) => streams.closed(c) });
    try {
      // A listener that stops reading makes Nix block in write(2) once the buffer is full
      // (measured: 2.34.8 hung until killed); this one never pauses, so the build ends.
      const result = await build('noisy');
      expect(result.exitCode).toBe(0);
      for (let i = 0; i < 200 && listener.counts().open > 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
      const [view] = streams.list();
      expect(view?.state).toBe('succeeded');
      const log = streams.log(view!.id, view!.derivations[0]!.drvPath)!;
      expect(log.lines.length + log.dropped).toBe(20_000);
    } finally {
      await listener.close();
    }
  });

  it('with the core stopped (a dead socket left in place), Nix builds and succeeds, and writes no file there', async () => {
    const { listener } = await LogSocketListener.open({ socketPath: nixLogSocketPath(stateDir), onLine: () => undefined, onClose: () => undefined });
    await listener.close();
    const result = await build('success');
    expect(result.exitCode).toBe(0);
    // What Nix says about it: one ignored error line, nothing else changes.
    expect(result.stderr).toMatch(/error \(ignored\): cannot connect to socket at '.*nix-log\.sock': Connection refused/);
    expect((await fs.lstat(nixLogSocketPath(stateDir))).isSocket()).toBe(true);
  });

  it('with no socket at the path at all, Nix writes a log file there instead (which the next start moves aside)', async () => {
    await fs.rm(nixLogSocketPath(stateDir), { force: true });
    const result = await build('success');
    expect(result.exitCode).toBe(0);
    const stat = await fs.lstat(nixLogSocketPath(stateDir));
    expect(stat.isFile()).toBe(true);
    expect(await fs.readFile(nixLogSocketPath(stateDir), 'utf8')).toMatch(/^\{"action":/);
    const { listener, movedAside } = await LogSocketListener.open({ socketPath: nixLogSocketPath(stateDir), onLine: () => undefined, onClose: () => undefined });
    await listener.close();
    expect(movedAside).toMatch(/nix-log\.sock\.written-by-nix-\d+$/);
    expect((await fs.lstat(nixLogSocketPath(stateDir))).isSocket()).toBe(true);
  });
});
