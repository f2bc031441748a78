/**
 * Keeps each baseline's full build alive: the queue builds with `--no-out-link`, so without a
 * root a garbage collection would delete exactly the build an incremental build needs (and
 * silently turn it into a full one). One indirect root per repository and baseline lives in
 * `<state dir>/gcroots`; roots of baselines no branch uses any more are dropped, so old full
 * builds can be collected.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { NixResolver } from '../nix/nixInstallation.js';

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

  /** Registers `outPath` as a root for this repository's baseline; throws with Nix's words. */
  async add(repoId: string, sha: string, outPath: string): Promise<string> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const root = this.rootPath(repoId, sha);
    const nix = await this.nix.resolve();
    if (!nix.found) throw new Error(`nix-store --add-root cannot run: ${nix.reason}`);
    const result = await execa(nix.installation.programs['nix-store'], ['--realise', outPath, '--add-root', root, '--indirect'], {
      env: await this.env(),
      reject: false,
      stdin: 'ignore',
    });
    if (result.exitCode !== 0) throw new Error(`nix-store --add-root failed: ${result.stderr.trim().split('\n').pop() ?? `exit ${result.exitCode}`}`);
    return root;
  }

  /** Drops this repository's roots except those of `keep` (baseline shas); answers what it dropped. */
  async prune(repoId: string, keep: ReadonlySet<string>): Promise<string[]> {
    const prefix = `${repoId}--`;
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    const dropped: string[] = [];
    for (const name of names) {
      if (!name.startsWith(prefix) || keep.has(name.slice(prefix.length))) continue;
      // The symlink only: Nix's own indirect root link in gcroots/auto dangles and is cleaned by Nix.
      await fs.rm(path.join(this.dir, name), { force: true });
      dropped.push(name.slice(prefix.length));
    }
    return dropped;
  }
}
