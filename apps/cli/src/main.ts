import { tuneHeapForStreaming } from '@octo/core';
import yargs from 'yargs';
import { printableLines } from './output/terminal-text.js';
import { checkCommand } from './commands/check.js';
import { configCommand } from './commands/config.js';
import { hostkeyCommand } from './commands/hostkey.js';
import { pendingCommand } from './commands/pending.js';
import { ledgerCommand } from './commands/ledger.js';
import { providersCommand } from './commands/providers.js';
import { retryCommand } from './commands/retry.js';
import { serveCommand } from './commands/serve.js';
import { syncCommand } from './commands/sync.js';
import { workerCommand } from './commands/worker.js';
import { ExitCode } from './exit-codes.js';
import { closeRuntimes } from './open-runtimes.js';
import { UsageError } from './usage-error.js';

/**
 * Runs `octo` with the given arguments and resolves with the exit status. Every argument is
 * validated before a command starts: a wrong command line exits 2 with `octo: <what is wrong>`
 * and does nothing else. Only the command that runs loads its modules.
 */
export async function main(argv: readonly string[]): Promise<number> {
  process.exitCode = undefined;
  tuneHeapForStreaming();
  // `octo pending x | head`: a reader that went away is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  try {
    await yargs([...argv])
      .scriptName('octo')
      .usage('$0 <command> [options]\n\nIngest partner files from SFTP drops into S3: decrypt, unpack, route, land.')
      .option('config', { type: 'string', describe: 'config file (default: $OCTO_CONFIG, then ./octo.config.yaml)' })
      .option('verbose', { alias: 'v', type: 'count', describe: 'more log lines on stderr (-v info: what each job found; -vv debug: connections, each file\'s start and end)' })
      .option('log-file', { type: 'string', describe: 'append log lines to this file (JSON lines) instead of stderr' })
      .command(syncCommand as never)
      .command(providersCommand as never)
      .command(pendingCommand as never)
      .command(ledgerCommand as never)
      .command(retryCommand as never)
      .command(serveCommand as never)
      .command(hostkeyCommand as never)
      .command(checkCommand as never)
      .command(configCommand as never)
      .command(workerCommand as never)
      .demandCommand(1, 'name a command: sync, providers, pending, ledger, retry, serve, worker, check, hostkey, config')
      .strict()
      .epilogue(
        'Exit status: 0 every file succeeded (or nothing to do); 1 some files failed; 2 fatal (bad config or usage, unknown provider, unreachable source or store); 130 cancelled.',
      )
      // Throwing stops yargs before the command's handler: a refused command line must run nothing.
      .fail((message, error) => {
        // yargs wraps what a `coerce` threw (and its own complaints) in a YError: usage, not a crash.
        if (!error || error.name === 'YError') throw new UsageError(error?.message ?? message);
        throw error;
      })
      .wrap(Math.min(110, process.stdout.columns ?? 110))
      .parseAsync();
    await closeRuntimes();
  } catch (error) {
    await closeRuntimes();
    return reportError(error, argv);
  }
  return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.Ok;
}

/** One line on stderr for whatever stopped the command (a stack trace only with -vv), and exit 2. */
function reportError(error: unknown, argv: readonly string[]): number {
  if (error instanceof UsageError) {
    // `--json` promises a machine-readable end even when the command line itself is wrong.
    if (argv.includes('--json')) process.stdout.write(`${JSON.stringify({ type: 'error', kind: 'config', reason: error.message, at: new Date().toISOString() })}\n`);
    process.stderr.write(`octo: ${printableLines(error.message)}\nRun octo --help for usage.\n`);
    return ExitCode.Fatal;
  }
  // OctoError is matched by its shape, so this path does not load @octo/core.
  if (isOctoError(error)) {
    process.stderr.write(`octo: ${printableLines(error.message)}\n`);
    return ExitCode.Fatal;
  }
  const debug = argv.includes('-vv') || argv.filter((arg) => arg === '-v' || arg === '--verbose').length >= 2;
  const detail = error instanceof Error ? (debug ? (error.stack ?? error.message) : error.message) : String(error);
  process.stderr.write(`octo: unexpected error: ${printableLines(detail)}${debug ? '' : ' (run again with -vv for the stack trace)'}\n`);
  return ExitCode.Fatal;
}

function isOctoError(error: unknown): error is Error & { kind: string } {
  return error instanceof Error && error.name === 'OctoError' && typeof (error as { kind?: unknown }).kind === 'string';
}
