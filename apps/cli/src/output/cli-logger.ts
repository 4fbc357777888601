import type { Logger } from '@octo/core';
import pino, { type DestinationStream, type Level } from 'pino';
import pretty from 'pino-pretty';
import { printable } from './terminal-text.js';

/** Where the CLI's log lines go and how much of them. */
export interface CliLogOptions {
  /** How many times `-v` was given: 0 warnings and errors, 1 adds info, 2 adds debug. */
  readonly verbosity: number;
  /** `--log-file`: JSON lines appended to this file instead of lines on stderr. */
  readonly logFile?: string;
  /** Where lines go without `--log-file` (stderr; stdout stays for results and `--json`). */
  readonly stream?: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Field names whose values never reach a log line, whatever a caller passes. */
const REDACTED = ['*.password', '*.passphrase', '*.token', '*.secret', '*.privateKey', 'password', 'passphrase', 'token', 'secret', 'privateKey'];

/** The pino level for `-v` given `verbosity` times. */
export function levelFor(verbosity: number): Level {
  return verbosity >= 2 ? 'debug' : verbosity === 1 ? 'info' : 'warn';
}

/**
 * The destination of every log line of a command, `octo serve`'s server logs included: JSON lines
 * in `--log-file`, coloured lines on a terminal, and timestamped, levelled single lines otherwise
 * (what a cron mail or a log file read by a person needs). Writes are synchronous, so nothing is
 * lost when the process exits.
 */
export function cliLogDestination(options: Omit<CliLogOptions, 'verbosity'>): DestinationStream {
  if (options.logFile) return pino.destination({ dest: options.logFile, append: true, mkdir: true, sync: true });
  const stream = options.stream ?? process.stderr;
  const tty = stream.isTTY === true;
  return pretty({
    destination: stream,
    sync: true,
    colorize: tty,
    singleLine: true,
    ignore: 'pid,hostname,service',
    // Messages name partner files: no escape sequence or line break of theirs reaches the terminal.
    messageFormat: (log, messageKey) => printable(String(log[messageKey] ?? '')),
    // A terminal shows the time of day; a log kept for later needs the whole UTC date.
    translateTime: tty ? 'HH:MM:ss.l' : "UTC:yyyy-mm-dd'T'HH:MM:ss.l'Z'",
  });
}

/** The pino logger of a command, over {@link cliLogDestination}. */
export function createCliPino(options: CliLogOptions): pino.Logger {
  return pino(
    {
      level: levelFor(options.verbosity),
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED, censor: '[redacted]' },
    },
    cliLogDestination(options),
  );
}

/** Core's {@link Logger} over the command's pino logger: adapters' lines land in the same stream. */
export function createCliLogger(options: CliLogOptions): Logger {
  const log = createCliPino(options);
  return {
    debug: (message, fields) => log.debug(fields ?? {}, message),
    info: (message, fields) => log.info(fields ?? {}, message),
    warn: (message, fields) => log.warn(fields ?? {}, message),
    error: (message, fields) => log.error(fields ?? {}, message),
  };
}
