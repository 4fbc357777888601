import type { ArrivalStatus } from '../arrival/arrival-status.js';

/** The `octo` body of a `provider.late` webhook delivery (docs/notifications.md). */
export interface LateNotification {
  readonly event: 'provider.late';
  readonly provider: string;
  readonly late: {
    /** The deadline that passed with nothing new: late since then. */
    readonly since: string;
    readonly expectation: string;
    readonly windowOpenedAt: string | null;
    readonly nextDeadline: string | null;
    readonly checkedAt: string;
  };
}

/** The notification for a provider whose files did not come by their deadline. */
export function lateNotification(status: ArrivalStatus): LateNotification {
  return {
    event: 'provider.late',
    provider: status.provider,
    late: { since: status.since ?? status.checkedAt, expectation: status.expectation, windowOpenedAt: status.windowOpenedAt, nextDeadline: status.nextDeadline, checkedAt: status.checkedAt },
  };
}

/** The same as a Slack incoming-webhook message. */
export function lateSlackMessage(notification: LateNotification): { text: string } {
  const { late } = notification;
  return {
    text: `:alarm_clock: octo: ${notification.provider} is late — nothing new was ingested since ${late.windowOpenedAt ?? 'the window opened'}, expected ${late.expectation}; deadline ${late.since} passed`,
  };
}
