#!/usr/bin/env node
// Runs the CLI from its TypeScript sources (no build step needed after `npm ci`);
// `nx build cli` produces a bundled dist/octo.mjs for deployment instead.
import { fileURLToPath } from 'node:url';

// npm ci installs the pinned Node 24 (the `node` package); npx and npm scripts put it first on PATH.
if (Number(process.versions.node.split('.')[0]) < 24) {
  console.error(`octo: this is Node ${process.versions.node}; Octo runs on Node 24: run it through npx octo (or npm run), which uses the Node that npm ci installed`);
  process.exit(2);
}
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../../../tsconfig.base.json', import.meta.url)) });
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
