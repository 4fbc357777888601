#!/usr/bin/env node
// The `octo` command. It runs the bundled build (dist/octo.mjs, made by `nx build cli` and by
// `npm ci`) when that is newer than every source it holds, for a fast start; otherwise, after an
// edit not yet built, it runs the TypeScript sources through tsx, so it is never out of date.
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { enableCompileCache } from './compile-cache.mjs';
import { relaunchWithStreamingFlags } from './node-flags.mjs';

// npm ci installs the pinned Node 24 (the `node` package); npx and npm scripts put it first on PATH.
if (Number(process.versions.node.split('.')[0]) < 24) {
  console.error(`octo: this is Node ${process.versions.node}; Octo runs on Node 24: run it through npx octo (or npm run), which uses the Node that npm ci installed`);
  process.exit(2);
}
relaunchWithStreamingFlags(process.argv.slice(2));
enableCompileCache(new URL('../dist/.compile-cache/', import.meta.url));

const bundle = new URL('../dist/octo.mjs', import.meta.url);
const root = new URL('../../../', import.meta.url);

/** Whether dist/octo.mjs holds the sources as they are now (dist/inputs.json lists them). */
function bundleIsFresh() {
  if (process.env.OCTO_FROM_SOURCES === '1') return false;
  try {
    const built = statSync(bundle).mtimeMs;
    const inputs = JSON.parse(readFileSync(new URL('../dist/inputs.json', import.meta.url), 'utf8'));
    return inputs.every((input) => statSync(new URL(input, root)).mtimeMs <= built);
  } catch {
    // No build, or a source it held is gone: the sources decide.
    return false;
  }
}

if (bundleIsFresh()) {
  const { main } = await import(bundle.href);
  process.exitCode = await main(process.argv.slice(2));
} else {
  const { register } = await import('tsx/esm/api');
  register({ tsconfig: fileURLToPath(new URL('tsconfig.base.json', root)) });
  const { main } = await import('../src/main.ts');
  process.exitCode = await main(process.argv.slice(2));
}
