// Entry point of the bundled CLI (dist/octo.mjs): bin/octo.mjs imports it and calls main;
// run directly (`node dist/octo.mjs`), it runs main itself.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { main } from '../src/main.js';

export { main };

const invoked = process.argv[1];
if (invoked && realpathSync(invoked) === realpathSync(fileURLToPath(import.meta.url))) {
  process.exitCode = await main(process.argv.slice(2));
}
