/**
 * Benchmark: what the json-log-path socket costs a Nix build. 200 tiny derivations built
 * through a real nix-daemon (nixDaemonRig.ts) of the current Nix, by one `nix-build` per round:
 * once with the daemon's nix.conf wired (`json-log-path = <socket>`, Builder Bar's listener and
 * queue reading it in this process, as the core does) and once not wired, alternating, with a
 * new nonce every build so nothing is cached. Prints each round, the medians and their ratio;
 * target ratio at most 1.02. Needs a Nix >= 2.30 (`node resources/setup/ensure-current-nix.mjs`).
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { ExternalBuildFeed } from '../core/builds/externalBuildFeed.js';
import { nixLogSocketPath } from '../core/builds/logSocket.js';
import { LogHub } from '../core/logs/logHub.js';
import { nixHas } from '../core/nix/nixFeatures.js';
import { fakeInstallation, fixedNix } from '../core/nix/testing/fakeNix.js';
import { DAEMON_BASE_CONF, startNixDaemon, type NixDaemonRig } from '../core/nix/testing/nixDaemonRig.js';
import { nixVersions, type TestNix } from '../core/nix/testing/nixVersions.js';

const DERIVATIONS = 200;

export interface LogSocketOverheadResult {
  nix: string;
  wiredMs: number[];
  plainMs: number[];
  /** External builds the queue saw, one per wired round (each nix-build is one daemon connection). */
  externalBuildsSeen: number;
  derivationsSeen: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function tinyDerivations(dir: string, nonce: string): Promise<string> {
  const file = path.join(dir, `tiny-${nonce}.nix`);
  await writeFile(
    file,
    `builtins.genList (i: builtins.derivation {
       name = "tiny-\${toString i}";
       system = builtins.currentSystem;
       builder = "/bin/sh";
       args = [ "-c" "echo building \${toString i}; echo \${toString i} > $out" ];
       nonce = "${nonce}";
     }) ${DERIVATIONS}\n`,
  );
  return file;
}

async function buildOnce(nix: TestNix, rig: NixDaemonRig, dir: string, nonce: string): Promise<number> {
  const file = await tinyDerivations(dir, nonce);
  const started = performance.now();
  const result = await execa(path.join(nix.binDir, 'nix-build'), [file, '--no-out-link'], { env: rig.clientEnv, extendEnv: false, stdin: 'ignore', reject: false });
  const elapsed = performance.now() - started;
  if (result.exitCode !== 0) throw new Error(`nix-build through the daemon failed: ${result.stderr.slice(-800)}`);
  return elapsed;
}

export async function benchLogSocketOverhead(rounds: number): Promise<LogSocketOverheadResult | { skipped: string }> {
  const nix = nixVersions().find((candidate) => nixHas(candidate.version, 'json-log-path'));
  if (!nix) return { skipped: 'no Nix >= 2.30 here (run `node resources/setup/ensure-current-nix.mjs`)' };
  // Short and without spaces: the socket path and the rig's paths must stay within their limits.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bb-bench-logsock-'));
  const stateDir = path.join(dir, 'state');
  await mkdir(stateDir, { mode: 0o700 });
  const wiredConf = path.join(dir, 'wired-conf');
  const plainConf = path.join(dir, 'plain-conf');
  await mkdir(wiredConf);
  await mkdir(plainConf);
  await writeFile(path.join(wiredConf, 'nix.conf'), `${DAEMON_BASE_CONF}json-log-path = ${nixLogSocketPath(stateDir)}\n`);
  await writeFile(path.join(plainConf, 'nix.conf'), DAEMON_BASE_CONF);
  const logs = new LogHub({ ringLines: 10_000, logDir: path.join(stateDir, 'logs') });
  const feed = await ExternalBuildFeed.open({ stateDir, logs, nix: fixedNix(fakeInstallation(nix.binDir, nix.version)) });
  const wired = await startNixDaemon(nix, { dir: path.join(dir, 'wired'), env: { NIX_CONF_DIR: wiredConf } });
  const plain = await startNixDaemon(nix, { dir: path.join(dir, 'plain'), env: { NIX_CONF_DIR: plainConf } });
  try {
    // One unmeasured build each: the daemons' first connection and the store warm up.
    await buildOnce(nix, wired, dir, `warm-wired-${Date.now()}`);
    await buildOnce(nix, plain, dir, `warm-plain-${Date.now()}`);
    const wiredMs: number[] = [];
    const plainMs: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      // Alternate which goes first, so a drift on the machine weighs on both alike.
      const order = round % 2 === 0 ? (['wired', 'plain'] as const) : (['plain', 'wired'] as const);
      for (const which of order) {
        const ms = await buildOnce(nix, which === 'wired' ? wired : plain, dir, `${which}-${round}-${Date.now()}`);
        (which === 'wired' ? wiredMs : plainMs).push(ms);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    const external = feed.list();
    return {
      nix: nix.label,
      wiredMs,
      plainMs,
      externalBuildsSeen: external.length,
      derivationsSeen: external.reduce((sum, view) => sum + view.derivations.length, 0),
    };
  } finally {
    await wired.stop();
    await plain.stop();
    await feed.close();
    await logs.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function logSocketSection(rounds: number): Promise<void> {
  console.log(`\n${DERIVATIONS} tiny derivations through a nix-daemon, json-log-path wired vs not, ${rounds} alternating rounds (target ratio <= 1.02)`);
  const result = await benchLogSocketOverhead(rounds);
  if ('skipped' in result) {
    console.log(`  skipped: ${result.skipped}`);
    return;
  }
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(`  ${result.nix}`);
  console.log(`  wired (queue listening)  ${result.wiredMs.map(seconds).join('  ')}   median ${seconds(median(result.wiredMs))}`);
  console.log(`  not wired                ${result.plainMs.map(seconds).join('  ')}   median ${seconds(median(result.plainMs))}`);
  console.log(`  ratio                    ${(median(result.wiredMs) / median(result.plainMs)).toFixed(3)}`);
  console.log(`  the queue saw ${result.externalBuildsSeen} external build(s) with ${result.derivationsSeen} derivations`);
}
