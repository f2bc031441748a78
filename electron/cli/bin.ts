#!/usr/bin/env node
// The `builder-bar` command (package.json "bin"). Everything lives in electron/doors/cli/.
// `serve` runs for days under plain Node: a stray rejected promise is reported, not fatal.
import { guardProcess } from '../core/util/unexpectedErrors.js';
import { main } from '../doors/cli/main.js';

guardProcess((text) => process.stderr.write(`builder-bar: ${text}\n`));
main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`builder-bar: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
