// Entry point of the bundled CLI (dist/octo.mjs).
import { main } from '../src/main.js';

process.exitCode = await main(process.argv.slice(2));
