import { describe, expect, it } from 'vitest';
import type { ArrivalStatus } from '../arrival/arrival-status.js';
import { lateNotification, lateSlackMessage } from './late-notification.js';

const status: ArrivalStatus = {
  provider: 'acme-bank',
  expectation: 'by 06:00 on mon-fri (Europe/London)',
  late: true,
  since: '2026-12-01T06:00:00.000Z',
  windowOpenedAt: '2026-11-30T06:00:00.000Z',
  lastArrivalAt: null,
  nextDeadline: '2026-12-02T06:00:00.000Z',
  checkedAt: '2026-12-01T06:00:03.000Z',
};

describe('lateNotification', () => {
  it('should say since when the provider is late, what was expected and when the window opened', () => {
    expect(lateNotification(status)).toEqual({
      event: 'provider.late',
      provider: 'acme-bank',
      late: { since: '2026-12-01T06:00:00.000Z', expectation: 'by 06:00 on mon-fri (Europe/London)', windowOpenedAt: '2026-11-30T06:00:00.000Z', nextDeadline: '2026-12-02T06:00:00.000Z', checkedAt: '2026-12-01T06:00:03.000Z' },
    });
  });

  it('should say the same in one Slack line', () => {
    expect(lateSlackMessage(lateNotification(status))).toEqual({
      text: ':alarm_clock: octo: acme-bank is late — nothing new was ingested since 2026-11-30T06:00:00.000Z, expected by 06:00 on mon-fri (Europe/London); deadline 2026-12-01T06:00:00.000Z passed',
    });
  });
});
