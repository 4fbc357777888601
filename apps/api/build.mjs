// Bundles the API (with the workspace libraries it imports) into dist/octo-api.mjs; npm dependencies
// stay external and are resolved from node_modules at run time. The app owns its build, so a
// change under tools/ never marks it affected.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const root = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: ['bin/entry.ts'],
  outfile: 'dist/octo-api.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  sourcemap: true,
  tsconfig: new URL('../../tsconfig.base.json', import.meta.url).pathname,
  // @octo/console finds its built assets beside its own file, so it is loaded from there, not bundled.
  external: [...Object.keys(root.dependencies ?? {}), '@octo/console'],
  // Bundled CommonJS code may call require(); give it one.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __octoRequire } from 'node:module';\nconst require = __octoRequire(import.meta.url);",
  },
  logLevel: 'info',
});
