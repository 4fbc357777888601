import { describe, expect, it } from 'vitest';
import { providerConfigSchema } from '../config/config-schema.js';
import { expectationConfigSchema } from './expectation-config-schema.js';

describe('expectationConfigSchema', () => {
  it('should turn by and days into the cron of the deadlines, in the time zone given', () => {
    expect(expectationConfigSchema.parse({ by: '06:00', days: 'mon-fri', timezone: 'Europe/London' })).toEqual({
      cron: '0 6 * * 1-5',
      timezone: 'Europe/London',
      description: 'by 06:00 on mon-fri (Europe/London)',
    });
    expect(expectationConfigSchema.parse({ by: '23:30', days: 'mon,wed,fri' })).toMatchObject({ cron: '30 23 * * 1,3,5', timezone: 'UTC' });
    expect(expectationConfigSchema.parse({ by: '07:05' })).toMatchObject({ cron: '5 7 * * *', description: 'by 07:05 every day (UTC)' });
    expect(expectationConfigSchema.parse({ cron: '0 6 * * 1-5' })).toMatchObject({ cron: '0 6 * * 1-5', timezone: 'UTC' });
  });

  it.each([
    [{ by: '6am' }, 'by', 'expected a time of day as HH:MM (24 h), e.g. "06:00", got "6am"'],
    [{ by: '06:00', days: 'weekdays' }, 'days', 'expected days such as mon-fri, mon,wed,fri or daily, got "weekdays"'],
    [{ by: '06:00', timezone: 'Europe/Londn' }, 'timezone', 'unknown time zone "Europe/Londn": expected an IANA name such as Europe/London'],
    [{ cron: '0 6 * *' }, 'cron', 'expected a cron expression of 5 fields (e.g. "0 6 * * 1-5": 06:00 on weekdays), got 4'],
    [{ by: '06:00', cron: '0 6 * * *' }, 'cron', 'expected either by (with days) or cron, not both'],
    [{}, 'by', 'expected by (a time of day such as "06:00") or cron (e.g. "0 6 * * 1-5")'],
  ])('should refuse %j naming the field and what is expected', (input, field, message) => {
    const result = providerConfigSchema.safeParse({ source: 'file://drop', bucket: 'bucket', expect: input });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }))).toEqual([{ path: `expect.${field}`, message }]);
  });
});
