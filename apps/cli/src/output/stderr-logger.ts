import type { Logger } from '@octo/core';

type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * Adapters' log lines on stderr (stdout stays for results and `--json` events): warnings and
 * errors always, info with `--verbose`, debug with `--verbose --verbose`. Callers never pass secrets.
 */
export class StderrLogger implements Logger {
  private readonly min: number;

  constructor(verbosity: number, private readonly out: NodeJS.WritableStream = process.stderr) {
    this.min = verbosity >= 2 ? ORDER.debug : verbosity === 1 ? ORDER.info : ORDER.warn;
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    this.write('debug', message, fields);
  }

  info(message: string, fields?: Record<string, unknown>): void {
    this.write('info', message, fields);
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.write('warn', message, fields);
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.write('error', message, fields);
  }

  private write(level: Level, message: string, fields?: Record<string, unknown>): void {
    if (ORDER[level] < this.min) return;
    const detail = fields && Object.keys(fields).length ? ` ${Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')}` : '';
    this.out.write(`octo: ${level}: ${message}${detail}\n`);
  }
}
