import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/config-schema.js';

const withSchedule = (schedule: unknown) => ({ store: 'file://buckets', providers: { acme: { source: 'file://drop', bucket: 'landing', schedule } } });
const issues = (schedule: unknown) => (configSchema.safeParse(withSchedule(schedule)).error?.issues ?? []).map((issue) => `${issue.path.join('.')}: ${issue.message}`);
const parsed = (schedule: unknown) => configSchema.parse(withSchedule(schedule)).providers['acme']?.schedule;

describe('a provider schedule', () => {
  describe('when valid', () => {
    it('should read a cron in a time zone, defaulting to UTC, and an interval in milliseconds', () => {
      expect(parsed({ cron: '0 6 * * 1-5', timezone: 'Europe/Paris' })).toEqual({ kind: 'cron', cron: '0 6 * * 1-5', timezone: 'Europe/Paris' });
      expect(parsed({ cron: '*/15 * * * *' })).toEqual({ kind: 'cron', cron: '*/15 * * * *', timezone: 'UTC' });
      expect(parsed({ every: '15m' })).toEqual({ kind: 'every', every: '15m', intervalMs: 900_000 });
      expect(parsed({ every: '10s' })).toEqual({ kind: 'every', every: '10s', intervalMs: 10_000 });
      expect(parsed({ every: '1h' })).toEqual({ kind: 'every', every: '1h', intervalMs: 3_600_000 });
      expect(parsed(undefined)).toBeUndefined();
    });
  });

  describe('when invalid', () => {
    it('should name the field and say what is expected', () => {
      expect(issues({ cron: '0 6 * *' })).toEqual([
        'providers.acme.schedule.cron: expected a cron expression of 5 fields (minute hour day-of-month month day-of-week, e.g. "0 6 * * 1-5"), got 4',
      ]);
      expect(issues({ cron: '0 0 6 * * *' })).toEqual([
        'providers.acme.schedule.cron: expected a cron expression of 5 fields (minute hour day-of-month month day-of-week, e.g. "0 6 * * 1-5"), got 6',
      ]);
      expect(issues({ cron: '61 6 * * *' })).toEqual(['providers.acme.schedule.cron: invalid cron expression "61 6 * * *": Invalid value for minute: 61']);
      expect(issues({ cron: '0 6 * * *', timezone: 'Europe/Atlantis' })).toEqual([
        'providers.acme.schedule.timezone: unknown time zone "Europe/Atlantis": expected an IANA name such as Europe/Paris or America/New_York',
      ]);
      expect(issues({ every: '5s' })).toEqual(['providers.acme.schedule.every: interval "5s" is too short: the shortest is 10s']);
      expect(issues({ every: '9999ms' })).toEqual(['providers.acme.schedule.every: expected an interval such as 30s, 15m, 1h or 1d, got "9999ms"']);
      expect(issues({ every: '15m', timezone: 'Europe/Paris' })).toEqual([
        'providers.acme.schedule.timezone: a time zone applies to cron only: an interval runs at the same instants everywhere',
      ]);
      expect(issues({ cron: '0 6 * * *', every: '1h' })).toEqual(['providers.acme.schedule.every: expected either cron or every, not both']);
      expect(issues({})).toEqual(['providers.acme.schedule.cron: expected either cron (e.g. "0 6 * * *") or every (e.g. "15m")']);
      expect(issues({ cron: '0 6 * * *', at: 'dawn' })).toEqual(['providers.acme.schedule: Unrecognized key: "at"']);
    });
  });
});
