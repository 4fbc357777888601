import type { Ledger } from '../ports/ledger.js';
import { arrivalWindow } from './arrival-window.js';
import type { ArrivalExpectation } from './expectation-config-schema.js';

/** Whether a provider's files came as expected, as the API, the metrics and the `late` webhook show it. */
export interface ArrivalStatus {
  readonly provider: string;
  /** The expectation as written, e.g. `by 06:00 on mon-fri (Europe/London)`. */
  readonly expectation: string;
  /** Nothing was ingested between the window's opening and now, and its deadline has passed. */
  readonly late: boolean;
  /** ISO time of the deadline that was missed (when late): late since then. */
  readonly since: string | null;
  /** ISO time the judged window opened (the deadline before). */
  readonly windowOpenedAt: string | null;
  /** ISO time of the newest ledger record in the window, or null. */
  readonly lastArrivalAt: string | null;
  /** ISO time of the next deadline. */
  readonly nextDeadline: string | null;
  /** ISO time this was judged. */
  readonly checkedAt: string;
}

/**
 * Judges arrival from the ledger in the provider's bucket, so every process (the API, an
 * `octo sync` from cron on another machine) answers the same: late when the latest deadline at
 * or before `now` has passed and no record was ingested since the window opened (the deadline
 * before it). A file ingested after the deadline ends the lateness.
 */
export async function arrivalStatus(ledger: Ledger, provider: string, expectation: ArrivalExpectation, now: Date): Promise<ArrivalStatus> {
  const window = arrivalWindow(expectation, now);
  const base = { provider, expectation: expectation.description, checkedAt: now.toISOString() };
  if (!window) return { ...base, late: false, since: null, windowOpenedAt: null, lastArrivalAt: null, nextDeadline: null };
  let last: number | undefined;
  for await (const record of ledger.records(provider, { since: window.opensAt })) {
    const at = Date.parse(record.ingestedAt);
    if (at <= window.opensAt.getTime() || at > now.getTime()) continue;
    if (last === undefined || at > last) last = at;
  }
  return {
    ...base,
    late: last === undefined,
    since: last === undefined ? window.deadline.toISOString() : null,
    windowOpenedAt: window.opensAt.toISOString(),
    lastArrivalAt: last === undefined ? null : new Date(last).toISOString(),
    nextDeadline: window.nextDeadline.toISOString(),
  };
}
