// Bundles the CLI (with the workspace libraries it imports) into dist/octo.mjs and the chunks each
// command loads when it runs (code reached only through import() is split out, so a command loads
// only its own modules); npm dependencies stay external and are resolved from node_modules at run
// time. dist/inputs.json lists every source the bundle holds: bin/octo.mjs runs the bundle only
// while it is newer than all of them. The app owns its build, so a change under tools/ never
// marks it affected. `node build.mjs --outdir DIR` builds into DIR instead (the test harness's
// bundles); it runs from any folder.
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const rootDir = fileURLToPath(new URL('../../', import.meta.url));
const appDir = fileURLToPath(new URL('./', import.meta.url));
const { values: args } = parseArgs({ options: { outdir: { type: 'string' } } });
const outdir = path.resolve(args.outdir ?? path.join(appDir, 'dist'));
const root = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

/**
 * A workspace library that finds files beside its sources (`new URL('../x', import.meta.url)`,
 * the example's demo keys) must keep finding them once bundled: its `import.meta.url` stays the
 * URL of its own source file, not the bundle's.
 */
const librariesKeepTheirUrl = {
  name: 'libraries-keep-their-url',
  setup(builder) {
    builder.onLoad({ filter: /\/libs\/.*\.ts$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' };
    });
  },
};

// Built beside the old output and swapped in, so a run started meanwhile never sees half of it.
const staging = `${outdir}.tmp-${process.pid}`;
await rm(staging, { recursive: true, force: true });
const result = await build({
  entryPoints: [path.join(appDir, 'bin/entry.ts')],
  outdir: staging,
  entryNames: 'octo',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  splitting: true,
  metafile: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  sourcemap: true,
  tsconfig: new URL('../../tsconfig.base.json', import.meta.url).pathname,
  // @octo/console finds its built assets beside its own file, so it is loaded from there, not bundled.
  external: [...Object.keys(root.dependencies ?? {}), '@octo/console'],
  plugins: [librariesKeepTheirUrl],
  // Bundled CommonJS code may call require(); give it one.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __octoRequire } from 'node:module';\nconst require = __octoRequire(import.meta.url);",
  },
  logLevel: 'info',
});
const inputs = Object.keys(result.metafile.inputs).map((input) => path.relative(rootDir, path.resolve(input)));
await mkdir(staging, { recursive: true });
await writeFile(path.join(staging, 'inputs.json'), `${JSON.stringify(inputs)}\n`);
await rm(outdir, { recursive: true, force: true });
await rename(staging, outdir);
