/**
 * One queue for every build on the machine, end to end: the wiring (with json-log-path for a
 * Nix >= 2.30) applied to a conf dir that a real nix-daemon reads (nixDaemonRig.ts), a
 * Builder Bar core serving the CLI, and a terminal `nix-build` through that daemon, not through
 * Builder Bar. With the current Nix the build shows in `builder-bar builds --json` as external,
 * on the builder, with its log lines; with Nix 2.8 the wiring leaves json-log-path out and the
 * queue says why it sees only its own builds. The linux-test guest boots once for the file.
 */
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExternalFeed } from '../../ipc/contract.js';
import type { CliIo } from '../../doors/cli/cliIo.js';
import { runCli } from '../../doors/cli/runCli.js';
import { createCore } from '../createCore.js';
import { applyWiring, removeWiring } from '../nix/applyWiring.js';
import { wiringInputsFromState } from '../nix/builderFromState.js';
import { nixHas } from '../nix/nixFeatures.js';
import { planWiring } from '../nix/planWiring.js';
import { readWiringRecord } from '../nix/wiringRecord.js';
import { DAEMON_BASE_CONF, startNixDaemon, stopAllNixDaemons } from '../nix/testing/nixDaemonRig.js';
import { nixVersions, type TestNix } from '../nix/testing/nixVersions.js';
import { nixLogSocketPath } from './logSocket.js';
import { bootTestBuilder, type TestBuilder } from './testing/testBuilder.js';

let root: string;
let builder: TestBuilder | undefined;
let builderMachine: string;

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bb-ext-builds-'));
  builder = await bootTestBuilder(path.join(root, 'guest-state'));
  const inputs = await wiringInputsFromState(builder.paths, 'linux');
  builderMachine = `ssh://${inputs.builder.alias}`;
});

afterAll(async () => {
  await stopAllNixDaemons();
  await builder?.shutdown();
  if (root) rmSync(root, { recursive: true, force: true });
});

function recorder(): { io: CliIo; out: string[]; err: string[]; abort: () => void } {
  const controller = new AbortController();
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (line) => out.push(line), err: (line) => err.push(line), env: process.env, signal: controller.signal }, out, err, abort: () => controller.abort() };
}

interface ListedDerivation {
  name: string;
  state: string;
  machine: string;
  log: string[];
}
interface Listed {
  builds: Array<{ id: string; source: string; state: string; machine: string | null; derivations: ListedDerivation[] }>;
  externalFeed: ExternalFeed;
}

async function buildsJson(stateDir: string): Promise<Listed> {
  const run = recorder();
  const code = await runCli(['--state-dir', stateDir, 'builds', '--json'], run.io);
  if (code !== 0) throw new Error(`builder-bar builds --json exited ${code}: ${run.err.join('\n')}`);
  return JSON.parse(run.out.join('\n')) as Listed;
}

const probeNix = (nonce: string) => `derivation {
  name = "ext-probe-${nonce}";
  system = "x86_64-linux";
  builder = "/bin/sh";
  args = [ "-c" "echo external-probe-says-hello; read h < /proc/sys/kernel/hostname; echo \\$h > \\$out" ];
}
`;

describe.each(nixVersions())('$label', (nix: TestNix) => {
  const sees = nixHas(nix.version, 'json-log-path');
  let dir: string;
  let stateDir: string;
  let serveRun: ReturnType<typeof recorder>;
  let serving: Promise<number>;

  beforeAll(async () => {
    dir = path.join(root, nix.version);
    stateDir = path.join(dir, 'core');
    await fs.mkdir(dir, { recursive: true });
    const core = await createCore({ stateDir, platform: 'linux', env: { ...process.env, BUILDER_BAR_NIX_BIN_DIR: nix.binDir } });
    serveRun = recorder();
    serving = runCli(['--state-dir', stateDir, 'serve'], serveRun.io, { serve: { createCore: async () => core, rendererDir: path.join(dir, 'renderer') } });
    for (let i = 0; i < 500 && serveRun.out.length + serveRun.err.length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(serveRun.err).toEqual([]);
  });

  afterAll(async () => {
    serveRun?.abort();
    await serving;
    // The wiring record is the guest state dir's: the next version wires its own conf dir.
    if (await readWiringRecord(builder!.paths.stateDir)) await removeWiring(builder!.paths.stateDir);
  });

  it(sees
    ? 'a terminal nix-build through the nix-daemon shows in builder-bar builds --json as external, on the builder, with its log lines'
    : 'the wiring leaves json-log-path out, and builder-bar builds says why the queue sees only its own builds', async () => {
    const confDir = path.join(dir, 'daemon-conf');
    await fs.mkdir(confDir);
    // The "system" nix.conf before Builder Bar wires it: offline, no build users.
    await fs.writeFile(path.join(confDir, 'nix.conf'), DAEMON_BASE_CONF);
    const inputs = await wiringInputsFromState(builder!.paths, 'linux');
    const plan = await planWiring({
      target: { kind: 'confDir', dir: confDir },
      builder: inputs.builder,
      clientPrivateKey: inputs.clientPrivateKey,
      record: await readWiringRecord(builder!.paths.stateDir),
      jsonLogPath: { socketPath: nixLogSocketPath(stateDir), nixVersion: nix.version },
    });
    expect(plan.problems).toEqual([]);
    await applyWiring(plan, builder!.paths.stateDir);
    const nixConf = await fs.readFile(path.join(confDir, 'nix.conf'), 'utf8');
    expect(nixConf.includes(`json-log-path = ${nixLogSocketPath(stateDir)}`)).toBe(sees);

    const rig = await startNixDaemon(nix, { dir: path.join(dir, 'rig'), env: plan.layout.env });
    const file = path.join(dir, 'probe.nix');
    await fs.writeFile(file, probeNix(`${Date.now()}`));
    // The user's terminal: nix-build against the daemon, which alone knows the builder.
    const terminal = await execa(path.join(nix.binDir, 'nix-build'), [file, '--no-out-link', '--max-jobs', '0'], { env: rig.clientEnv, extendEnv: false, stdin: 'ignore', reject: false, timeout: 240_000 });
    expect(terminal.stderr).not.toMatch(/error \(ignored\)/);
    expect(terminal.exitCode).toBe(0);

    if (!sees) {
      const listed = await buildsJson(stateDir);
      expect(listed.builds.filter((build) => build.source === 'external')).toEqual([]);
      expect(listed.externalFeed.state).toBe('nix-too-old');
      expect(listed.externalFeed.message).toContain(`needs Nix >= 2.30; ${nix.binDir} has Nix ${nix.version}`);
      const run = recorder();
      expect(await runCli(['--state-dir', stateDir, 'builds'], run.io)).toBe(0);
      expect(run.out.at(-1)).toMatch(/^The queue shows only the builds Builder Bar starts/);
      return;
    }

    // The daemon's worker ends when the client does; the queue then has the finished build.
    let listed = await buildsJson(stateDir);
    for (let i = 0; i < 100 && !listed.builds.some((build) => build.source === 'external' && build.state === 'succeeded'); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      listed = await buildsJson(stateDir);
    }
    const external = listed.builds.filter((build) => build.source === 'external');
    expect(external).toHaveLength(1);
    const [build] = external;
    expect(build).toMatchObject({ source: 'external', state: 'succeeded', machine: builderMachine });
    expect(build!.derivations).toHaveLength(1);
    expect(build!.derivations[0]).toMatchObject({ name: expect.stringMatching(/^ext-probe-/) as unknown as string, state: 'done', machine: builderMachine });
    expect(build!.derivations[0]!.log).toContain('external-probe-says-hello');
    expect(listed.externalFeed).toMatchObject({ state: 'listening', malformed: 0 });
    await rig.stop();
    // Remove takes json-log-path out with the rest of the block.
    await removeWiring(builder!.paths.stateDir);
    expect(await fs.readFile(path.join(confDir, 'nix.conf'), 'utf8')).toBe(DAEMON_BASE_CONF);
  });
});
