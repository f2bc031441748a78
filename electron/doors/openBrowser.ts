/**
 * `serve --open`: best effort. A machine without a browser or a desktop (CI, ssh sessions) is
 * normal, so failing to open only says so; the URL is already on the terminal.
 */
import { execa } from 'execa';

export function browserOpener(platform: NodeJS.Platform = process.platform): string | null {
  if (platform === 'darwin') return 'open';
  if (platform === 'linux' || platform === 'freebsd' || platform === 'openbsd') return 'xdg-open';
  return null;
}

/** Resolves to null when a browser was asked to open the URL, or to the reason it was not. */
export async function openInBrowser(
  url: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): Promise<string | null> {
  const opener = browserOpener(platform);
  if (!opener) return `no known way to open a browser on ${platform}`;
  // The URL is one argument to the opener; no shell sees it.
  const result = await execa(opener, [url], { reject: false, stdio: 'ignore', timeout: 10_000, env, extendEnv: false });
  if (result.failed) return `${opener} did not open it (${result.shortMessage})`;
  return null;
}
