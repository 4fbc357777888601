// Entry point of the bundled CLI (dist/octo.mjs): bin/octo.mjs imports it and calls main;
// run directly (`node dist/octo.mjs`), it runs main itself, with node's flags for streaming
// commands (node-flags.mjs).
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { main } from '../src/main.js';
import { relaunchWithStreamingFlags } from './node-flags.mjs';

export { main };

const invoked = process.argv[1];
if (invoked && realpathSync(invoked) === realpathSync(fileURLToPath(import.meta.url))) {
  relaunchWithStreamingFlags(process.argv.slice(2));
  process.exitCode = await main(process.argv.slice(2));
}
