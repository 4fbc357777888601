import type { ArrivalStatus } from './arrival-status.js';

/** A provider's lateness as `GET /v1/providers` and `octo providers --json` show it. */
export interface LateView {
  /** ISO time of the deadline that passed with nothing new. */
  readonly since: string;
  readonly expectation: string;
  /** ISO time the judged window opened: nothing was ingested after it. */
  readonly windowOpenedAt: string | null;
  readonly checkedAt: string;
}

/** The `late` field: null when on time, unwatched or not judged. */
export function lateView(status: ArrivalStatus | undefined): LateView | null {
  if (!status?.late || !status.since) return null;
  return { since: status.since, expectation: status.expectation, windowOpenedAt: status.windowOpenedAt, checkedAt: status.checkedAt };
}
