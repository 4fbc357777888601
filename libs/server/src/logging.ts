import type { Logger } from '@octo/core';
import pino, { type DestinationStream, type Level } from 'pino';

/** Header and field paths whose values never reach a log line. */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  '*.token',
  '*.password',
  '*.passphrase',
  '*.secret',
  '*.privateKey',
] as const;

/** The API's structured JSON logger: request headers are logged, secrets are replaced with `[redacted]`. */
export function createApiLogger(options: { level: Level | 'silent'; destination?: DestinationStream }): pino.Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'octo-api' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // "warn" reads better than 40 in a log search.
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
      serializers: {
        req: (req: { method: string; url: string; headers: Record<string, unknown>; ip?: string; id?: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url,
          remoteAddress: req.ip,
          headers: { ...req.headers },
        }),
        err: pino.stdSerializers.err,
      },
    },
    options.destination,
  );
}

/** Core's {@link Logger} over pino, so adapters log into the same structured stream. */
export function coreLogger(log: pino.Logger): Logger {
  return {
    debug: (message, fields) => log.debug(fields ?? {}, message),
    info: (message, fields) => log.info(fields ?? {}, message),
    warn: (message, fields) => log.warn(fields ?? {}, message),
    error: (message, fields) => log.error(fields ?? {}, message),
  };
}
