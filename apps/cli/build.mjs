// Bundles the CLI (with its workspace libraries) into dist/octo.mjs; npm dependencies stay external.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const root = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
await build({
  entryPoints: ['bin/entry.ts'],
  outfile: 'dist/octo.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  tsconfig: '../../tsconfig.base.json',
  external: Object.keys(root.dependencies ?? {}),
  // Bundled CommonJS code may call require(); give it one.
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __octoRequire } from 'node:module';\nconst require = __octoRequire(import.meta.url);" },
  logLevel: 'info',
});
