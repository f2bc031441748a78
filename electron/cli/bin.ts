#!/usr/bin/env node
// The `builder-bar` command (package.json "bin"). Everything lives in electron/doors/cli/.
import { main } from '../doors/cli/main.js';

void main(process.argv.slice(2));
