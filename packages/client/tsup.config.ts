import { defineConfig } from 'tsup';

/**
 * The published build: the SDK as ESM and CommonJS with its declarations (it imports no
 * package, and `platform: neutral` fails the build should a Node built-in slip into it),
 * and the CLI as one CommonJS file for Node, started by bin/analytics.cjs.
 */
export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    platform: 'neutral',
    target: 'es2022',
    dts: true,
    sourcemap: true,
    outDir: 'dist',
  },
  {
    entry: { cli: 'src/cli/main.ts' },
    format: ['cjs'],
    platform: 'node',
    target: 'node20',
    outDir: 'dist',
  },
]);
