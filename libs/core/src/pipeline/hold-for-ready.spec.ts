import { describe, expect, it } from 'vitest';
import type { RemoteFile } from '../ports/remote-source.js';
import { holdForReady } from './hold-for-ready.js';
import { readyConfigSchema } from './ready-config-schema.js';

const files = (...paths: string[]): RemoteFile[] => paths.map((p) => ({ path: p, size: 1, mtimeMs: 0 }));

describe('holdForReady', () => {
  it('should take a file only when its {name} marker is listed, carry the marker, and never take a marker', () => {
    const { ready, waiting } = holdForReady(files('a.csv', 'a.csv.done', 'in/b.csv', 'in/b.csv.done', 'c.csv', 'orphan.csv.done'), { marker: '{name}.done' });
    expect(ready).toEqual([
      { path: 'a.csv', size: 1, mtimeMs: 0, markerPath: 'a.csv.done' },
      { path: 'in/b.csv', size: 1, mtimeMs: 0, markerPath: 'in/b.csv.done' },
    ]);
    expect(waiting.map((file) => ({ path: file.path, for: file.for }))).toEqual([{ path: 'c.csv', for: 'c.csv.done' }]);
  });

  it('should release a folder only when its batch trigger is there, and never take the trigger', () => {
    const { ready, waiting } = holdForReady(files('day1/a.csv', 'day1/b.csv', 'day1/READY', 'day2/c.csv', 'top.csv'), { batch: 'READY' });
    expect(ready.map((file) => file.path)).toEqual(['day1/a.csv', 'day1/b.csv']);
    expect(waiting.map((file) => [file.path, file.for])).toEqual([
      ['day2/c.csv', 'day2/READY'],
      ['top.csv', 'READY'],
    ]);
  });

  it('should take everything without a rule', () => {
    expect(holdForReady(files('a.csv', 'a.csv.done'), undefined).ready).toHaveLength(2);
  });

  it.each([[{ marker: 'done' }], [{ marker: 'x/{name}.done' }], [{ batch: 'a/READY' }], [{ batch: '{name}' }]])('should refuse %j', (rule) => {
    expect(readyConfigSchema.safeParse(rule).success).toBe(false);
  });
});
