// Bundles the API (with its workspace libraries) into dist/octo-api.mjs; npm dependencies stay external.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const root = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
await build({
  entryPoints: ['bin/entry.ts'],
  outfile: 'dist/octo-api.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  tsconfig: '../../tsconfig.base.json',
  external: Object.keys(root.dependencies ?? {}),
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'info',
});
