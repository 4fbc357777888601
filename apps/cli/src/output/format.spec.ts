import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, table } from './format.js';

describe(formatDuration, () => {
  it('should carry seconds over into minutes, never printing 1m60s', () => {
    expect(formatDuration(241)).toBe('241ms');
    expect(formatDuration(1234)).toBe('1.2s');
    // Rounding up to 60 would print 60.0s or 1m60s; the next unit carries instead.
    expect(formatDuration(59_960)).toBe('59.9s');
    expect(formatDuration(60_000)).toBe('1m');
    expect(formatDuration(119_999)).toBe('1m 59s');
    expect(formatDuration(3_723_000)).toBe('1h 2m 3s');
  });
});

describe(formatBytes, () => {
  it('should print whole bytes below 1 KiB and one decimal above', () => {
    expect(formatBytes(641.93)).toBe('642 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
  });
});

describe(table, () => {
  const rows = [['a.csv', 'data/csv/acme/2026-11-01/a-very-long-name-that-does-not-fit.csv']];

  it('should keep every line whole without a width (a log, a pipe)', () => {
    expect(table(['file', 'key'], rows, undefined).split('\n')).toEqual([
      'file   key',
      '-----  ---------------------------------------------------------------',
      'a.csv  data/csv/acme/2026-11-01/a-very-long-name-that-does-not-fit.csv',
    ]);
  });

  it('should wrap the widest column so every line fits a terminal of the given width', () => {
    const lines = table(['file', 'key'], rows, 40).split('\n');
    expect(lines).toEqual(['file   key', '-----  ---------------------------------', 'a.csv  data/csv/acme/2026-11-01/a-very-l', '       ong-name-that-does-not-fit.csv']);
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(40);
  });
});
