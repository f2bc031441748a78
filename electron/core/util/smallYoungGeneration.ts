/**
 * Imported first by each process that runs the core for days (`builder-bar serve`, the Electron
 * shell), for its side effect: V8's young generation stays at its initial size instead of doubling
 * up to 16 MB under the allocations of start-up (module sources, schemas) and then keeping that
 * size, never shrunk, while the core idles in the menu bar. Measured with `serve`: 85 -> 77 MiB
 * RSS, the young generation 16 -> 2 MB. The flag V8 reads at each growth decision is the only one
 * that still works once the process runs (`--max-semi-space-size` is fixed at start-up, and the
 * command line is the user's: `node bin.js serve`). The cost is more frequent, equally cheap,
 * scavenges while logs stream in (`npm run bench`: logview and idle sections).
 */
import v8 from 'node:v8';

v8.setFlagsFromString('--semi-space-growth-factor=1');
