#!/usr/bin/env node
// The `builder-bar` command (package.json "bin"). Everything lives in electron/doors/cli/.
// `serve` runs for days under plain Node: a stray rejected promise is reported, not fatal, and
// its young generation is kept small. That flag must be set before the CLI's modules are loaded
// (an ESM graph is read and parsed before any of it runs), hence the dynamic import after it; in
// the bundle `npm run build` makes of this file (build/bundle-cli.mjs) what that import reaches
// is likewise evaluated only when the import runs.
import '../core/util/smallYoungGeneration.js';
import { guardProcess } from '../core/util/unexpectedErrors.js';

guardProcess((text) => process.stderr.write(`builder-bar: ${text}\n`));
const { main } = await import('../doors/cli/main.js');
main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`builder-bar: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
