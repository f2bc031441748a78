/** `builder-bar-diagnostics-20240501T120000Z`: UTC, sortable, and without `:` (Finder and tar's remote-host syntax dislike it). */
export function bundleName(now: Date): string {
  return `builder-bar-diagnostics-${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
}

export const BUNDLE_PREFIX = 'builder-bar-diagnostics-';
