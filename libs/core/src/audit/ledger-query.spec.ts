import { describe, expect, it } from 'vitest';
import { OctoError } from '../errors/octo-error.js';
import type { Ledger, LedgerRecord, LedgerWindow } from '../ports/ledger.js';
import { parseLedgerTime, queryLedger } from './ledger-query.js';

const record = (path: string, ingestedAt: string): LedgerRecord => ({
  provider: 'acme',
  path,
  size: 10,
  mtimeMs: 0,
  sha256: 'a'.repeat(64),
  outputs: [{ key: `data/csv/acme/${path}`, size: 10, sha256: 'b'.repeat(64) }],
  jobId: 'job-1',
  ingestedAt,
});

/** A ledger of fixed records that remembers the windows it was asked for. */
function ledgerOf(records: LedgerRecord[]): Ledger & { windows: LedgerWindow[] } {
  const windows: LedgerWindow[] = [];
  return {
    windows,
    pending: async () => [],
    record: async () => undefined,
    recordsFor: async () => [],
    async *records(_provider, window = {}) {
      windows.push(window);
      yield* records;
    },
  };
}

const ledger = ledgerOf([
  record('in/statements_20261101.csv.gpg', '2026-11-01T06:00:00.000Z'),
  record('in/statements_20261102.csv.gpg', '2026-11-02T06:00:00.000Z'),
  record('in/positions_20261102.csv', '2026-11-02T06:05:00.000Z'),
  record('archive/old/statements_20261001.csv.gpg', '2026-10-01T06:00:00.000Z'),
]);

describe('queryLedger', () => {
  it('should return every record, newest first, when nothing narrows it', async () => {
    const result = await queryLedger(ledger, 'acme');
    expect(result.records.map((r) => r.path)).toEqual([
      'in/positions_20261102.csv',
      'in/statements_20261102.csv.gpg',
      'in/statements_20261101.csv.gpg',
      'archive/old/statements_20261001.csv.gpg',
    ]);
    expect(result).toMatchObject({ provider: 'acme', matched: 4, truncated: false });
  });

  it('should keep records ingested at or after since and before until, and pass the window to the ledger', async () => {
    const since = new Date('2026-11-01T06:00:00.000Z');
    const until = new Date('2026-11-02T06:05:00.000Z');
    const result = await queryLedger(ledger, 'acme', { since, until });
    expect(result.records.map((r) => r.ingestedAt)).toEqual(['2026-11-02T06:00:00.000Z', '2026-11-01T06:00:00.000Z']);
    expect(ledger.windows.at(-1)).toEqual({ since, until });
  });

  it('should match the path glob on the whole source path', async () => {
    expect((await queryLedger(ledger, 'acme', { path: 'in/statements_*' })).records.map((r) => r.path)).toEqual(['in/statements_20261102.csv.gpg', 'in/statements_20261101.csv.gpg']);
    expect((await queryLedger(ledger, 'acme', { path: '**/statements_202610*' })).records.map((r) => r.path)).toEqual(['archive/old/statements_20261001.csv.gpg']);
  });

  it('should cut at the limit, keeping the newest, and say how many matched', async () => {
    const result = await queryLedger(ledger, 'acme', { limit: 2 });
    expect(result.records.map((r) => r.path)).toEqual(['in/positions_20261102.csv', 'in/statements_20261102.csv.gpg']);
    expect(result).toMatchObject({ matched: 4, truncated: true });
  });

  it('should refuse a window that ends before it starts', async () => {
    await expect(queryLedger(ledger, 'acme', { since: new Date('2026-11-02T00:00:00Z'), until: new Date('2026-11-01T00:00:00Z') })).rejects.toThrow(
      "the ledger query's since (2026-11-02T00:00:00.000Z) is not before its until (2026-11-01T00:00:00.000Z)",
    );
  });
});

describe('parseLedgerTime', () => {
  const now = Date.parse('2026-12-01T12:00:00.000Z');
  it.each([
    ['2026-11-01', '2026-11-01T00:00:00.000Z'],
    ['2026-11-01T06:30:00Z', '2026-11-01T06:30:00.000Z'],
    ['2026-11-01T06:30:00+01:00', '2026-11-01T05:30:00.000Z'],
    ['90m', '2026-12-01T10:30:00.000Z'],
    ['36h', '2026-11-30T00:00:00.000Z'],
    ['7d', '2026-11-24T12:00:00.000Z'],
  ])('should read %s as %s', (value, iso) => {
    expect(parseLedgerTime(value, now).toISOString()).toBe(iso);
  });

  it.each(['yesterday', '2026-13-45', '7w', ''])('should refuse %j, saying which forms it takes', (value) => {
    let thrown: unknown;
    try {
      parseLedgerTime(value, now);
    } catch (error) {
      thrown = error;
    }
    expect(OctoError.is(thrown) && thrown.kind).toBe('config');
    expect((thrown as Error).message).toBe(`"${value}" is not a time: give an ISO date (2026-11-01), a date-time (2026-11-01T06:00:00Z) or a duration back from now (90m, 36h, 7d)`);
  });
});
