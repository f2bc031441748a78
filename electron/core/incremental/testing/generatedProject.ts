/**
 * A generated git repository laid out like a user's project that uses Builder Bar's incremental
 * helper: `modules/*.mod` (the "modules" the test builder compiles), `nix/` with the helper, the
 * project template and the builder, and the flake template. Commits get controlled author and
 * committer dates, so the baseline can be chosen with `git rev-list --before=B` as FACTS.md
 * section 3 says. Module contents carry a random nonce: every test run's derivations are new.
 */
import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const here = path.dirname(fileURLToPath(import.meta.url));
const resources = path.resolve(here, '..', '..', '..', '..', 'resources', 'nix');

/** Where each shipped file goes in the generated project. */
export const PROJECT_FILES: ReadonlyArray<readonly [from: string, to: string]> = [
  [path.join(resources, 'incremental.nix'), 'nix/builder-bar-incremental.nix'],
  [path.join(resources, 'project-template', 'incremental.nix'), 'nix/incremental.nix'],
  [path.join(resources, 'flake-template', 'flake.nix'), 'flake.nix'],
  [path.join(here, 'moduleBuilder.nix'), 'nix/build.nix'],
];

export interface GeneratedProject {
  dir: string;
  /** Unique to this project: part of every module's content. */
  nonce: string;
  git(args: readonly string[]): Promise<string>;
  /** Writes (or, with null, deletes) module files, stages everything and commits at `time`. */
  commit(time: number, subject: string, modules: Record<string, string | null>): Promise<string>;
  /**
   * What a user would see changed in the checkout: every file outside `.git` with a hash of its
   * content (a `flake.lock` or `result` link appearing shows here), the refs, HEAD and what git
   * has staged. Compare one taken before a build with one taken after.
   */
  snapshot(): Promise<CheckoutSnapshot>;
}

export interface CheckoutSnapshot {
  files: Record<string, string>;
  refs: string;
  head: string;
  /** `git diff --cached --name-status`: what is staged (Nix 2.8 `git add`s a lock file it writes). */
  staged: string;
}

async function filesOf(dir: string, prefix = ''): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await fs.readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const name = path.join(prefix, entry.name);
    if (name === '.git') continue;
    const full = path.join(dir, name);
    if (entry.isDirectory()) Object.assign(files, await filesOf(dir, name));
    else if (entry.isSymbolicLink()) files[name] = `link -> ${await fs.readlink(full)}`;
    else files[name] = createHash('sha256').update(await fs.readFile(full)).digest('hex');
  }
  return files;
}

export async function generateProject(dir: string, branch = 'main'): Promise<GeneratedProject> {
  const nonce = randomUUID();
  await fs.mkdir(path.join(dir, 'modules'), { recursive: true });
  await fs.mkdir(path.join(dir, 'nix'), { recursive: true });
  for (const [from, to] of PROJECT_FILES) await fs.copyFile(from, path.join(dir, to));

  const git = async (args: readonly string[], dates?: number): Promise<string> => {
    const env: Record<string, string> = { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
    if (dates !== undefined) {
      env.GIT_AUTHOR_DATE = `@${dates} +0000`;
      env.GIT_COMMITTER_DATE = `@${dates} +0000`;
    }
    const { stdout } = await execa('git', ['-c', 'user.name=Builder Bar Test', '-c', 'user.email=test@builder-bar.invalid', ...args], {
      cwd: dir,
      env,
      stdin: 'ignore',
    });
    return stdout.trim();
  };
  await git(['init', '--quiet', `--initial-branch=${branch}`]);

  return {
    dir,
    nonce,
    git: (args) => git(args),
    async commit(time, subject, modules) {
      for (const [name, content] of Object.entries(modules)) {
        const file = path.join(dir, 'modules', `${name}.mod`);
        if (content === null) await fs.rm(file);
        else await fs.writeFile(file, `${content}\nnonce ${nonce}\n`);
      }
      await git(['add', '--all']);
      await git(['commit', '--quiet', '-m', subject], time);
      return git(['rev-parse', 'HEAD']);
    },
    async snapshot() {
      return {
        files: await filesOf(dir),
        refs: await git(['for-each-ref', '--format=%(refname) %(objectname)']),
        head: await git(['symbolic-ref', 'HEAD']),
        staged: await git(['diff', '--cached', '--name-status']),
      };
    },
  };
}
