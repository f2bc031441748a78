/**
 * Keeps each baseline's full build alive: the queue builds with `--no-out-link`, so without a
 * root a garbage collection would delete exactly the build an incremental build needs (and
 * silently turn it into a full one). One indirect root per repository, baseline and output lives
 * in `<state dir>/gcroots`; roots of baselines no branch uses any more are dropped, so old full
 * builds can be collected.
 *
 * Every output of the full build is rooted, not only the path the build printed: the queue
 * learns one (`nix-build` and `nix build` print `out`), but what the incremental build reuses is
 * the full build's `intermediates` output (incremental.nix `productsOf`), which `out` does not
 * refer to. The other outputs are found through the derivation (`--query --deriver`, then
 * `--query --outputs`) and rooted beside it as `<root>-<output>`, the names `nix-store --realise
 * DRV --add-root R` itself gives them. Only outputs that are valid are rooted: realising an
 * output path never builds. Nix 2.8 and 2.34 answer all of this alike, and both accept
 * `--indirect` without a warning (fullBuildNixSupport.ts).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { NixResolver } from '../nix/nixInstallation.js';

/** `/nix/store/<32 chars>-name` -> `name`. */
function storeName(storePath: string): string {
  return path.basename(storePath).slice(33);
}

const SHA_PREFIX = /^[0-9a-f]{40}(?:[0-9a-f]{24})?/;

export class GcRoots {
  constructor(
    private readonly dir: string,
    /** The environment Nix runs in (the wiring's NIX_CONF_DIR …), as for builds. */
    private readonly env: () => Promise<Record<string, string>>,
    /** The Nix whose nix-store registers the root: the one that built it. */
    private readonly nix: NixResolver,
  ) {}

  rootPath(repoId: string, sha: string): string {
    return path.join(this.dir, `${repoId}--${sha}`);
  }

  /**
   * Registers `outPath` and the other outputs of its derivation as roots for this repository's
   * baseline; answers the root of `outPath`. Throws with Nix's words when one cannot be rooted
   * (the ones before it stay rooted).
   */
  async add(repoId: string, sha: string, outPath: string): Promise<string> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const root = this.rootPath(repoId, sha);
    const nix = await this.nix.resolve();
    if (!nix.found) throw new Error(`nix-store --add-root cannot run: ${nix.reason}`);
    const env = await this.env();
    const nixStore = (args: string[]) => execa(nix.installation.programs['nix-store'], args, { env, reject: false, stdin: 'ignore' });
    const targets = [{ storePath: outPath, link: root }, ...(await this.otherOutputs(nixStore, outPath)).map(({ storePath, suffix }) => ({ storePath, link: `${root}${suffix}` }))];
    for (const { storePath, link } of targets) {
      const result = await nixStore(['--realise', storePath, '--add-root', link, '--indirect']);
      if (result.exitCode !== 0) throw new Error(`nix-store --add-root failed for ${storePath}: ${result.stderr.trim().split('\n').pop() ?? `exit ${result.exitCode}`}`);
    }
    return root;
  }

  /**
   * The valid outputs of the derivation that made `outPath`, other than it, each with the suffix
   * Nix names its link with (`-intermediates`). None when Nix does not know the deriver (a path
   * copied in from elsewhere may answer `unknown-deriver`) or the derivation is gone.
   */
  private async otherOutputs(
    nixStore: (args: string[]) => Promise<{ exitCode?: number; stdout: string }>,
    outPath: string,
  ): Promise<Array<{ storePath: string; suffix: string }>> {
    const deriver = await nixStore(['--query', '--deriver', outPath]);
    const drv = deriver.stdout.trim();
    if (deriver.exitCode !== 0 || !drv.endsWith('.drv')) return [];
    const outputs = await nixStore(['--query', '--outputs', drv]);
    if (outputs.exitCode !== 0) return [];
    const drvName = storeName(drv).slice(0, -'.drv'.length);
    const others = outputs.stdout
      .split('\n')
      .map((line) => line.trim())
      .filter((storePath) => storePath.startsWith('/') && storePath !== outPath && storeName(storePath).startsWith(`${drvName}-`));
    if (others.length === 0) return [];
    // An output that is not in the store (a remote build may copy back only the one asked for)
    // is left out: realising its path would try to substitute it and fail.
    const invalid = await nixStore(['--check-validity', '--print-invalid', ...others]);
    const missing = new Set(invalid.exitCode === 0 ? invalid.stdout.split('\n').map((line) => line.trim()) : others);
    return others.filter((storePath) => !missing.has(storePath)).map((storePath) => ({ storePath, suffix: storeName(storePath).slice(drvName.length) }));
  }

  /** Drops this repository's roots except those of `keep` (baseline shas); answers the shas it dropped. */
  async prune(repoId: string, keep: ReadonlySet<string>): Promise<string[]> {
    const prefix = `${repoId}--`;
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    const dropped = new Set<string>();
    for (const name of names) {
      if (!name.startsWith(prefix)) continue;
      // `<sha>` or `<sha>-<output>`.
      const sha = SHA_PREFIX.exec(name.slice(prefix.length))?.[0];
      if (sha === undefined || keep.has(sha)) continue;
      // The symlink only: Nix's own indirect root link in gcroots/auto dangles and is cleaned by Nix.
      await fs.rm(path.join(this.dir, name), { force: true });
      dropped.add(sha);
    }
    return [...dropped];
  }
}
