/** What an Acme Bank statement's file name says. */
export interface StatementName {
  /** The account id as the bank writes it (letters and digits, hyphens inside). */
  readonly account: string;
  readonly year: string;
  /** Two digits, `01` to `12`. */
  readonly month: string;
  /** Two digits, a day that exists in that month. */
  readonly day: string;
}

// stmt_<account>_<YYYYMMDD>.csv.gz.gpg; the account holds no `_`, which separates the parts.
const STATEMENT = /^stmt_([A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)_(\d{4})(\d{2})(\d{2})\.csv\.gz\.gpg$/;

/**
 * Parses a daily statement name, `stmt_<account>_<YYYYMMDD>.csv.gz.gpg` (the last segment of
 * a path); undefined for any other name, including a date that does not exist (`20260230`).
 */
export function parseStatementName(pathOrName: string): StatementName | undefined {
  const name = pathOrName.slice(pathOrName.lastIndexOf('/') + 1);
  const match = STATEMENT.exec(name);
  if (!match) return undefined;
  const [, account, year, month, day] = match as unknown as [string, string, string, string, string];
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  // Date.UTC rolls 2026-02-30 over to March: a round trip catches dates that do not exist.
  if (date.getUTCFullYear() !== Number(year) || date.getUTCMonth() !== Number(month) - 1 || date.getUTCDate() !== Number(day)) {
    return undefined;
  }
  return { account, year, month, day };
}
