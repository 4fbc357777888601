// Bundles an app's entry point (with the workspace libraries it imports) into one ESM file;
// npm dependencies stay external and are resolved from node_modules at run time.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const root = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

/** Builds `entry` (relative to the app folder, the cwd) into `outfile`. */
export async function bundleApp({ entry, outfile }) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    sourcemap: true,
    tsconfig: new URL('../../tsconfig.base.json', import.meta.url).pathname,
    external: Object.keys(root.dependencies ?? {}),
    // Bundled CommonJS code may call require(); give it one.
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __octoRequire } from 'node:module';\nconst require = __octoRequire(import.meta.url);",
    },
    logLevel: 'info',
  });
}
