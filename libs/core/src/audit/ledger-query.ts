import picomatch from 'picomatch';
import { OctoError } from '../errors/octo-error.js';
import type { Ledger, LedgerRecord } from '../ports/ledger.js';

/** What `octo ledger` and `GET /v1/providers/{name}/ledger` ask for. */
export interface LedgerQuery {
  /** Records ingested at or after this time. */
  readonly since?: Date;
  /** Records ingested before this time. */
  readonly until?: Date;
  /** A glob (picomatch) on the source path, e.g. `in/statements_*.csv.gpg` or `**\/*_202611*`. */
  readonly path?: string;
  /** At most this many records, the newest first; `truncated` says whether more matched. */
  readonly limit?: number;
}

export interface LedgerQueryResult {
  readonly provider: string;
  /** Newest first. */
  readonly records: readonly LedgerRecord[];
  /** How many records matched in all (more than `records.length` when the limit cut them). */
  readonly matched: number;
  readonly truncated: boolean;
}

export const DEFAULT_LEDGER_LIMIT = 1000;

/**
 * What was ingested when, from the ledger in the provider's bucket: each record names the
 * source path, its size and sha256, the keys it landed at, the job, and when. It reads the
 * bucket only, so it answers the same from any machine with the config.
 */
export async function queryLedger(ledger: Ledger, provider: string, query: LedgerQuery = {}): Promise<LedgerQueryResult> {
  if (query.since && query.until && query.since.getTime() >= query.until.getTime()) {
    throw new OctoError('config', `the ledger query's since (${query.since.toISOString()}) is not before its until (${query.until.toISOString()})`);
  }
  const limit = query.limit ?? DEFAULT_LEDGER_LIMIT;
  const matches = query.path ? picomatch(query.path, { dot: true }) : () => true;
  const found: LedgerRecord[] = [];
  for await (const record of ledger.records(provider, { since: query.since, until: query.until })) {
    const at = Date.parse(record.ingestedAt);
    if (query.since && at < query.since.getTime()) continue;
    if (query.until && at >= query.until.getTime()) continue;
    if (!matches(record.path)) continue;
    found.push(record);
  }
  found.sort((a, b) => b.ingestedAt.localeCompare(a.ingestedAt) || a.path.localeCompare(b.path));
  return { provider, records: found.slice(0, limit), matched: found.length, truncated: found.length > limit };
}

/** Parses a `--since`/`--until` value: an ISO date (`2026-11-01`, UTC midnight) or date-time, or a duration back from now (`36h`, `7d`, `90m`). */
export function parseLedgerTime(value: string, now = Date.now()): Date {
  const relative = /^(\d+)\s*(m|h|d)$/.exec(value.trim());
  if (relative) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 'm' | 'h' | 'd'];
    return new Date(now - Number(relative[1]) * unit);
  }
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim())) {
    const date = new Date(value.trim().length === 10 ? `${value.trim()}T00:00:00Z` : value.trim());
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new OctoError('config', `"${value}" is not a time: give an ISO date (2026-11-01), a date-time (2026-11-01T06:00:00Z) or a duration back from now (90m, 36h, 7d)`);
}
