#!/usr/bin/env node
// Runs the CLI from its TypeScript sources (no build step needed after `npm ci`);
// `nx build cli` produces a bundled dist/octo.mjs for deployment instead.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../../../tsconfig.base.json', import.meta.url)) });
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
