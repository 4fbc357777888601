import { describe, expect, it } from 'vitest';
import { firstDateIn } from './date-in-name.js';

describe(firstDateIn, () => {
  it.each([
    ['statements_20261101.csv.gpg', '2026-11-01'],
    ['report-2026-02-28.pdf', '2026-02-28'],
    ['leap_20240229.csv', '2024-02-29'],
    ['no-date.csv', undefined],
    ['id_12345678.csv', undefined],
    ['x_20261301.csv', undefined],
    ['s_20260229.csv', undefined],
    ['s_20261131.csv', undefined],
    ['s_2026-1105.csv', undefined],
    ['run_20260230_for_20261102.csv', '2026-11-02'],
    ['s_202611011.csv', undefined],
  ])('when the name is %s, should give %s', (name, date) => {
    expect(firstDateIn(name)).toBe(date);
  });
});
