import { OctoError } from '@octo/core';
import yargs from 'yargs';
import { checkCommand } from './commands/check.js';
import { hostkeyCommand } from './commands/hostkey.js';
import { pendingCommand } from './commands/pending.js';
import { ledgerCommand } from './commands/ledger.js';
import { providersCommand } from './commands/providers.js';
import { serveCommand } from './commands/serve.js';
import { syncCommand } from './commands/sync.js';
import { ExitCode } from './exit-codes.js';
import { closeRuntimes } from './runtime.js';
import { UsageError } from './usage-error.js';

/** Runs `octo` with the given arguments and resolves with the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  process.exitCode = undefined;
  // `octo pending x | head`: a reader that went away is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  let usageError: string | undefined;
  try {
    await yargs([...argv])
      .scriptName('octo')
      .usage('$0 <command> [options]\n\nIngest partner files from SFTP drops into S3: decrypt, unpack, route, land.')
      .option('config', { type: 'string', describe: 'config file (default: $OCTO_CONFIG, then ./octo.config.yaml)' })
      .option('verbose', { alias: 'v', type: 'count', describe: 'more log lines on stderr (-v info, -vv debug)' })
      .command(syncCommand as never)
      .command(providersCommand as never)
      .command(pendingCommand as never)
      .command(ledgerCommand as never)
      .command(serveCommand as never)
      .command(hostkeyCommand as never)
      .command(checkCommand as never)
      .demandCommand(1, 'name a command: sync, providers, pending, ledger, serve, check, hostkey')
      .strict()
      .epilogue(
        'Exit status: 0 every file succeeded (or nothing to do); 1 some files failed; 2 fatal (bad config or usage, unknown provider, unreachable source or store); 130 cancelled.',
      )
      .fail((message, error) => {
        if (error) throw error;
        usageError = message;
      })
      .wrap(Math.min(110, process.stdout.columns ?? 110))
      .parseAsync();
    await closeRuntimes();
  } catch (error) {
    await closeRuntimes();
    if (error instanceof UsageError) {
      usageError = error.message;
    } else {
      if (OctoError.is(error)) {
        process.stderr.write(`octo: ${error.message}\n`);
      } else {
        process.stderr.write(`octo: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      }
      return ExitCode.Fatal;
    }
  }
  if (usageError) {
    // `--json` promises a machine-readable end even when the command line itself is wrong.
    if (argv.includes('--json')) process.stdout.write(`${JSON.stringify({ type: 'error', kind: 'config', reason: usageError, at: new Date().toISOString() })}\n`);
    process.stderr.write(`octo: ${usageError}\nRun octo --help for usage.\n`);
    return ExitCode.Fatal;
  }
  return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.Ok;
}
