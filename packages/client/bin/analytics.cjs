#!/usr/bin/env node
// The `analytics` command. In a checkout of the repository it runs the TypeScript source
// through tsx (no build step); in the published package, which ships no src/, the build.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const source = join(__dirname, '..', 'src', 'cli', 'main.ts');
if (existsSync(source)) {
  require('tsx/cjs');
  require(source);
} else {
  require(join(__dirname, '..', 'dist', 'cli.js'));
}
