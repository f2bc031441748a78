/**
 * Watches the files whose change means a branch may have moved (HEAD, refs/heads, packed-refs,
 * shallow) and calls back once per burst: a commit, a rebase or a fetch touches several of them
 * within milliseconds. Git replaces a file by renaming a lock file over it, which ends a watch
 * on the file itself, so a file is watched through its directory, and only its name counts
 * there (`git status` rewriting the index must not recompute anything). fs.watch on a directory
 * is not recursive everywhere, so every directory under refs/heads is watched too, and new ones
 * are picked up after each change.
 */
import { watch, type FSWatcher } from 'node:fs';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** Per directory to watch, the entry names that count there; null: any entry. */
type WatchPlan = Map<string, Set<string> | null>;

export class RefWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private plan: WatchPlan = new Map();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly paths: () => Promise<string[]>,
    private readonly onChange: () => void,
    private readonly debounceMs = 150,
  ) {}

  async start(): Promise<void> {
    await this.rewatch();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  private changed(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.closed) return;
      this.onChange();
      // rewatch() handles a directory that vanished or cannot be watched; anything else it
      // might meet leaves the current watches in place until the next change lists again.
      this.rewatch().catch(() => undefined);
    }, this.debounceMs);
    this.timer.unref();
  }

  private async rewatch(): Promise<void> {
    let plan: WatchPlan;
    try {
      plan = await watchPlan(await this.paths());
    } catch {
      plan = new Map();
    }
    if (this.closed) return;
    this.plan = plan;
    for (const [dir, watcher] of this.watchers) {
      if (!plan.has(dir)) {
        watcher.close();
        this.watchers.delete(dir);
      }
    }
    for (const dir of plan.keys()) {
      if (this.watchers.has(dir)) continue;
      try {
        const watcher = watch(dir, { persistent: false }, (_event, name) => {
          const names = this.plan.get(dir);
          if (names && name !== null && !names.has(name.toString())) return;
          this.changed();
        });
        watcher.on('error', () => {
          watcher.close();
          this.watchers.delete(dir);
          this.changed();
        });
        this.watchers.set(dir, watcher);
      } catch {
        // Gone between listing and watching: the next change lists again.
      }
    }
  }
}

/** A directory path is watched with everything below it; a file through its parent, by name. */
async function watchPlan(paths: string[]): Promise<WatchPlan> {
  const plan: WatchPlan = new Map();
  const visit = async (dir: string, depth: number): Promise<void> => {
    plan.set(dir, null);
    if (depth > 8) return;
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) if (entry.isDirectory()) await visit(path.join(dir, entry.name), depth + 1);
  };
  for (const file of paths) {
    const stat = await fs.stat(file).catch(() => null);
    if (stat?.isDirectory()) {
      await visit(file, 0);
      continue;
    }
    // A file that does not exist yet (packed-refs, shallow) is still watched by its name.
    const dir = path.dirname(file);
    if (!(await fs.stat(dir).catch(() => null))?.isDirectory()) continue;
    const names = plan.get(dir);
    if (names === null) continue;
    plan.set(dir, new Set([...(names ?? []), path.basename(file)]));
  }
  return plan;
}
