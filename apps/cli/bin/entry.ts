// Entry point of the bundled CLI (dist/octo.mjs): bin/octo.mjs imports it and calls main;
// run directly (`node dist/octo.mjs`), it runs main itself, with node's flags for streaming
// commands (node-flags.mjs). Either way the CLI's modules load only once node runs with those
// flags and the compile cache is on: a streaming command does not load them twice.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { enableCompileCache } from './compile-cache.mjs';
import { relaunchWithStreamingFlags } from './node-flags.mjs';

/** Runs `octo` with `argv` and resolves with the exit status; the CLI's modules load on the first call. */
export async function main(argv: readonly string[]): Promise<number> {
  const cli = await import('../src/main.js');
  return cli.main(argv);
}

const invoked = process.argv[1];
if (invoked && realpathSync(invoked) === realpathSync(fileURLToPath(import.meta.url))) {
  relaunchWithStreamingFlags(process.argv.slice(2));
  enableCompileCache(new URL('./.compile-cache/', import.meta.url));
  process.exitCode = await main(process.argv.slice(2));
}
