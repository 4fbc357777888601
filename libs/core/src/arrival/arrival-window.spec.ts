import { describe, expect, it } from 'vitest';
import { arrivalWindow } from './arrival-window.js';
import { expectationConfigSchema } from './expectation-config-schema.js';

const weekdays = expectationConfigSchema.parse({ by: '06:00', days: 'mon-fri', timezone: 'Europe/London' });

describe('arrivalWindow', () => {
  it('should judge the latest deadline at or before now, its window opening at the deadline before', () => {
    // Tuesday 2026-12-01, 06:00 in London is 06:00 UTC (winter).
    expect(arrivalWindow(weekdays, new Date('2026-12-01T06:00:00.000Z'))).toEqual({
      opensAt: new Date('2026-11-30T06:00:00.000Z'),
      deadline: new Date('2026-12-01T06:00:00.000Z'),
      nextDeadline: new Date('2026-12-02T06:00:00.000Z'),
    });
    expect(arrivalWindow(weekdays, new Date('2026-12-01T05:59:59.999Z'))?.deadline).toEqual(new Date('2026-11-30T06:00:00.000Z'));
  });

  it('should skip the weekend: Monday\'s window opens on Friday', () => {
    expect(arrivalWindow(weekdays, new Date('2026-11-30T09:00:00Z'))).toMatchObject({ opensAt: new Date('2026-11-27T06:00:00Z'), deadline: new Date('2026-11-30T06:00:00Z') });
  });

  it('should read the deadline in the time zone, daylight saving included', () => {
    // 06:00 in London in summer is 05:00 UTC.
    expect(arrivalWindow(weekdays, new Date('2026-07-01T05:30:00Z'))?.deadline).toEqual(new Date('2026-07-01T05:00:00Z'));
  });
});
