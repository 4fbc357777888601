import { describe, expect, it } from 'vitest';
import { compare, cpuSecondsPerGigabyte, formatRatio, interleave, markdownTable, median, megabytesPerSecond, summarise } from './stats.mjs';

describe('bench stats', () => {
  it('should take the middle of an odd count and the mean of the two middles of an even one, ignoring failed runs', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5, Number.NaN, 1, 3])).toBe(3);
    expect(median([])).toBeNaN();
  });

  it('should take each measure median on its own', () => {
    const summary = summarise([
      { seconds: 10, cpuSeconds: 1, maxRssKiB: 300 },
      { seconds: 30, cpuSeconds: 3, maxRssKiB: 100 },
      { seconds: 20, cpuSeconds: 9, maxRssKiB: 200 },
    ]);
    expect(summary).toEqual({ runs: 3, seconds: 20, cpuSeconds: 3, maxRssKiB: 200 });
  });

  it('should read faster as peer over Octo and lower as Octo over peer, against the target', () => {
    expect(compare(10, 15, 'faster', 1.5)).toEqual({ ratio: 1.5, target: 1.5, met: true });
    expect(compare(10, 14, 'faster', 1.5)).toEqual({ ratio: 1.4, target: 1.5, met: false });
    expect(compare(12, 10, 'lower', 1.2)).toEqual({ ratio: 1.2, target: 1.2, met: true });
    expect(compare(13, 10, 'lower', 1.2).met).toBe(false);
    expect(compare(10, 20, 'faster')).toEqual({ ratio: 2, target: undefined });
    expect(compare(10, Number.NaN, 'faster', 1).met).toBeUndefined();
  });

  it('should run every case once per round, rounds in order', () => {
    expect(interleave(['octo', 'peer'], 3).map(({ round, item }) => `${round}:${item}`)).toEqual(['1:octo', '1:peer', '2:octo', '2:peer', '3:octo', '3:peer']);
  });

  it('should print rates and ratios in the units the peers use', () => {
    expect(megabytesPerSecond(250_000_000, 2)).toBe(125);
    expect(cpuSecondsPerGigabyte(3, 2_000_000_000)).toBe(1.5);
    expect(formatRatio(1.234)).toBe('1.23×');
    expect(formatRatio(Number.NaN)).toBe('n/a');
    expect(markdownTable(['a', 'b'], [['x|y', '1']])).toBe('| a | b |\n|---|---:|\n| x\\|y | 1 |');
  });
});
