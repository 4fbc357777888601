import { describeSystemError, isSystemError } from './system-error.js';

/** What part of the work an error belongs to; the CLI, API and metrics group failures by it. */
export type OctoErrorKind =
  | 'config'
  | 'secret'
  | 'source'
  | 'auth'
  | 'hostkey'
  | 'decrypt'
  | 'signature'
  | 'unpack'
  | 'unsafe'
  | 'route'
  | 'store'
  | 'ledger'
  | 'filter'
  /** An entry's contents failed a check of the validate-and-transform stage (a CSV header, a row count, bad UTF-8). */
  | 'validate'
  | 'cancelled'
  | 'internal';

/**
 * A typed error: a `kind`, a message a person can act on, and the `cause`.
 * Use {@link OctoError.is} rather than `instanceof` across package copies.
 */
export class OctoError extends Error {
  readonly kind: OctoErrorKind;
  /** True when the error concerns the whole job (bad config, unreachable source), not one file. */
  readonly fatal: boolean;
  private readonly isOctoError = true;

  constructor(kind: OctoErrorKind, message: string, options: { cause?: unknown; fatal?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OctoError';
    this.kind = kind;
    this.fatal = options.fatal ?? false;
  }

  static is(value: unknown): value is OctoError {
    return typeof value === 'object' && value !== null && (value as { isOctoError?: unknown }).isOctoError === true;
  }

  /**
   * Wraps anything thrown into an OctoError of the given kind, keeping an existing kind. A Node
   * system error is described by its code, never by its message, which holds local paths.
   */
  static wrap(kind: OctoErrorKind, error: unknown, context?: string): OctoError {
    if (OctoError.is(error)) return error;
    const detail = isSystemError(error) ? describeSystemError(error) : error instanceof Error ? error.message : String(error);
    return new OctoError(kind, context ? `${context}: ${detail}` : detail, { cause: error });
  }
}
