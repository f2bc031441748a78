// Turns the `builder-bar` command that tsc wrote (out/electron/cli/bin.js and the ~480 modules it
// imports) into one file in its place: every module of this project and of its pure JavaScript
// dependencies, unused exports dropped (zod's 40 locales, most of execa), whitespace and comments
// removed. Run by `npm run build:node` after tsc, which rewrites bin.js every time.
//
// Why: `builder-bar serve` idles for days. Under Node each ES module keeps its source text and its
// own records for the process's life; one minified file measured 71.8-72.3 MiB RSS idle with a
// ready builder against 77.6 MiB (`npm run bench`, idle section), and V8's collections after
// start-up mark a smaller heap. It also makes the file the proxy's trust check looks at
// (core/nix/proxyCommandLine.ts: node and this script, for a root ProxyCommand) nearly all the
// code that runs.
//
// Left outside: ssh2 (its optional native crypto binding is found relative to its own files) and
// cpu-features (native, optional to ssh2). Names are kept and identifiers not shortened, so a stack
// trace still names its functions; `bin.js.map` maps it back to the TypeScript
// (`node --enable-source-maps out/electron/cli/bin.js ...`), and costs nothing unless asked for.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const script = path.join(root, 'out', 'electron', 'cli', 'bin.js');

await build({
  entryPoints: [script],
  outfile: script,
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  legalComments: 'none',
  sourcemap: 'linked',
  external: ['ssh2', 'cpu-features', 'electron'],
  // The CommonJS dependencies (ws, cross-spawn, ...) call `require`, which an ES module lacks.
  banner: { js: "import { createRequire as __builderBarRequire } from 'node:module'; const require = __builderBarRequire(import.meta.url);" },
  logLevel: 'warning',
});
