/**
 * `serve --open`: best effort. A machine without a browser or a desktop (CI, ssh sessions) is
 * normal, so failing to open only says so; the URL is already on the terminal.
 *
 * What is opened is a file path (openPage.ts), never the URL with its token: the opener's
 * arguments are visible to every local user.
 */
import { execa } from 'execa';

export function browserOpener(platform: NodeJS.Platform = process.platform): string | null {
  if (platform === 'darwin') return 'open';
  if (platform === 'linux' || platform === 'freebsd' || platform === 'openbsd') return 'xdg-open';
  return null;
}

/** Starts the opener; resolves to null when it worked, or to why not. Tests inject one. */
export type OpenerRunner = (command: string, args: readonly string[], env: NodeJS.ProcessEnv) => Promise<string | null>;

const runWithExeca: OpenerRunner = async (command, args, env) => {
  // One argument to the opener; no shell sees it.
  const result = await execa(command, [...args], { reject: false, stdio: 'ignore', timeout: 10_000, env, extendEnv: false });
  return result.failed ? (result.shortMessage ?? `exit code ${String(result.exitCode)}`) : null;
};

/** Resolves to null when a browser was asked to open the file, or to the reason it was not. */
export async function openInBrowser(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  run: OpenerRunner = runWithExeca,
): Promise<string | null> {
  const opener = browserOpener(platform);
  if (!opener) return `no known way to open a browser on ${platform}`;
  const failure = await run(opener, [file], env);
  return failure === null ? null : `${opener} did not open it (${failure})`;
}
