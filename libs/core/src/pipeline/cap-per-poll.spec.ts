import { describe, expect, it } from 'vitest';
import type { Logger } from '../ports/logger.js';
import { capPerPoll } from './cap-per-poll.js';

const files = [
  { path: 'c.csv', size: 1, mtimeMs: 3_000 },
  { path: 'b.csv', size: 1, mtimeMs: 1_000 },
  { path: 'a.csv', size: 1, mtimeMs: 2_000 },
  { path: 'd.csv', size: 1, mtimeMs: 1_000 },
];

function logger(): Logger & { infos: string[] } {
  const infos: string[] = [];
  return { infos, debug: () => undefined, info: (message: string) => void infos.push(message), warn: () => undefined, error: () => undefined };
}

describe(capPerPoll, () => {
  it('should take the oldest files up to the cap, ties by path, and say how many wait for the next run', () => {
    const log = logger();
    expect(capPerPoll(files, 2, 'acme', log).map((f) => f.path)).toEqual(['b.csv', 'd.csv']);
    expect(log.infos).toEqual(['provider acme: 4 files pending, this run takes the oldest 2 (source.maxFilesPerPoll); the next run continues with the other 2']);
  });

  it('should leave the list as it is without a cap, or under it', () => {
    const log = logger();
    expect(capPerPoll(files, undefined, 'acme', log)).toEqual(files);
    expect(capPerPoll(files, 4, 'acme', log)).toEqual(files);
    expect(log.infos).toEqual([]);
  });
});
