import { mkdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { ObjectStoreLedger } from '../adapters/ledger/object-store-ledger.js';
import type { JobSummary } from '../ports/job-events.js';
import { LocalObjectStore } from '../adapters/local/local-object-store.js';
import { OctoError } from '../errors/octo-error.js';
import type { ProviderContext } from '../ports/identifiers.js';
import type { Ledger, LedgerRecord } from '../ports/ledger.js';
import { unownedObjectError } from '../adapters/unowned-object-error.js';
import { tarOf } from '../testing/archive-fixtures.js';
import { listFiles, sha256 } from '../testing/files.js';
import { createTempWorkspace, overridingProvider, type TempWorkspace } from '../testing/temp-workspace.js';
import { completionMarkerKey } from './completion-marker.js';
import { KeyOwnership } from './key-ownership.js';

const workspaces: TempWorkspace[] = [];

afterEach(async () => {
  await Promise.all(workspaces.splice(0).map((w) => w.cleanup()));
});

async function workspace(providerConfig: Record<string, unknown> = {}): Promise<TempWorkspace> {
  const w = await createTempWorkspace({ providerConfig });
  workspaces.push(w);
  return w;
}

async function drop(w: TempWorkspace, name: string, body: Buffer | string, mtime?: Date): Promise<void> {
  const file = path.join(w.dropDir, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, body);
  if (mtime) await utimes(file, mtime, mtime);
}

async function sync(w: TempWorkspace, options: { concurrency?: number; dryRun?: boolean } = {}): Promise<JobSummary> {
  return (await (await w.runtime()).jobs.start('plain', options)).done;
}

const object = (w: TempWorkspace, key: string) => readFile(path.join(w.bucketDir, key), 'utf8');
const dataKeys = async (w: TempWorkspace) => (await listFiles(w.bucketDir)).filter((key) => key.startsWith('data/'));

async function ledger(w: TempWorkspace): Promise<LedgerRecord[]> {
  const files = await listFiles(path.join(w.bucketDir, '_octo/ledger/plain'));
  return Promise.all(files.map(async (file) => JSON.parse(await readFile(path.join(w.bucketDir, '_octo/ledger/plain', file), 'utf8')) as LedgerRecord));
}

function failure(summary: JobSummary, file: string): { kind: string; reason: string } | undefined {
  const found = summary.files.find((f) => f.path === file);
  return found?.status === 'failed' ? { kind: found.kind, reason: found.reason } : undefined;
}

const conflictReason = (loser: string, key: string, owner: string) =>
  `${loser}: its output ${key} already belongs to ${owner}, another source file; nothing of this file was landed: rename one of them at the source, change the folder rule, or set conflicts: keep-both on the provider to land both`;

describe(KeyOwnership, () => {
  describe('when two sources in one job map to one key', () => {
    it('should land one, fail the other naming both paths, and keep the winner’s bytes and record', async () => {
      const w = await workspace();
      await drop(w, 'a/report.csv.gz', gzipSync('from a\n'));
      await drop(w, 'b/report.csv.gz', gzipSync('from b\n'));

      const summary = await sync(w, { concurrency: 2 });

      expect([summary.succeeded, summary.failed]).toEqual([1, 1]);
      const winner = summary.files.find((f) => f.status === 'done')!.path;
      const loser = winner === 'a/report.csv.gz' ? 'b/report.csv.gz' : 'a/report.csv.gz';
      expect(failure(summary, loser)).toEqual({ kind: 'route', reason: conflictReason(loser, 'data/csv/plain/report.csv', winner) });
      expect(await dataKeys(w)).toEqual(['data/csv/plain/report.csv']);
      expect(await object(w, 'data/csv/plain/report.csv')).toBe(`from ${winner[0]}\n`);
      const records = await ledger(w);
      expect(records.map((r) => [r.path, r.outputs])).toEqual([[winner, [{ key: 'data/csv/plain/report.csv', size: 7, sha256: sha256(`from ${winner[0]}\n`) }]]]);
      // The loser's claim was removed; only the winner's stays.
      const claims = await listFiles(path.join(w.bucketDir, '_octo/owners'));
      expect(claims).toHaveLength(1);
      expect(JSON.parse(await object(w, `_octo/owners/${claims[0]}`))).toMatchObject({ key: 'data/csv/plain/report.csv', sourcePath: winner, provider: 'plain' });
    });
  });

  describe('when two tars of one day both hold summary.pdf', () => {
    it('should fail the second whole: none of its entries land', async () => {
      const w = await workspace();
      await drop(w, 'bundle_20261104_1.tar', await tarOf([['summary.pdf', 'one'], ['first.csv', '1']]));
      await drop(w, 'bundle_20261104_2.tar', await tarOf([['only-second.csv', '2'], ['summary.pdf', 'two']]));

      const summary = await sync(w, { concurrency: 1 });

      expect(summary.files.map((f) => [f.path, f.status])).toEqual([
        ['bundle_20261104_1.tar', 'done'],
        ['bundle_20261104_2.tar', 'failed'],
      ]);
      expect(failure(summary, 'bundle_20261104_2.tar')?.reason).toBe(conflictReason('bundle_20261104_2.tar', 'data/pdf/plain/summary.pdf', 'bundle_20261104_1.tar'));
      expect(await dataKeys(w)).toEqual(['data/csv/plain/first.csv', 'data/pdf/plain/summary.pdf']);
      expect(await object(w, 'data/pdf/plain/summary.pdf')).toBe('one');
      // only-second.csv was claimed and staged before the clash: its claim is gone too.
      expect(await listFiles(path.join(w.bucketDir, '_octo/owners'))).toHaveLength(2);
    });
  });

  describe('when a later job brings another source for an owned key', () => {
    it('should fail it and leave the first source’s object as it was', async () => {
      const w = await workspace();
      await drop(w, 'a/report.csv', 'from a\n');
      expect((await sync(w)).succeeded).toBe(1);
      await drop(w, 'b/report.csv', 'from b, later\n');

      const second = await sync(w);

      expect(failure(second, 'b/report.csv')).toEqual({ kind: 'route', reason: conflictReason('b/report.csv', 'data/csv/plain/report.csv', 'a/report.csv') });
      expect(await object(w, 'data/csv/plain/report.csv')).toBe('from a\n');
      expect((await ledger(w)).map((r) => r.path)).toEqual(['a/report.csv']);
    });
  });

  describe('when the policy is keep-both', () => {
    it('should land the second source beside the first, under ~ and 8 hex of its path’s sha256', async () => {
      const w = await workspace({ conflicts: 'keep-both' });
      await drop(w, 'a/report.csv', 'from a\n');
      await sync(w);
      await drop(w, 'b/report.csv', 'from b\n');

      const second = await sync(w);

      const beside = `data/csv/plain/report~${sha256('b/report.csv').slice(0, 8)}.csv`;
      expect(beside).toBe(KeyOwnership.keepBothKey('data/csv/plain/report.csv', 'b/report.csv'));
      expect(second.files).toEqual([expect.objectContaining({ path: 'b/report.csv', status: 'done', outputs: [{ key: beside, size: 7, sha256: sha256('from b\n') }] })]);
      expect(await dataKeys(w)).toEqual(['data/csv/plain/report.csv', beside].sort());
      expect(await object(w, 'data/csv/plain/report.csv')).toBe('from a\n');
      expect(await object(w, beside)).toBe('from b\n');
    });

    it('should put the suffix before the extension, or at the end of a name without one', () => {
      const hash = sha256('in/x.gz').slice(0, 8);
      expect(KeyOwnership.keepBothKey('data/other/p/archive.tar.gz', 'in/x.gz')).toBe(`data/other/p/archive.tar~${hash}.gz`);
      expect(KeyOwnership.keepBothKey('data/other/p/README', 'in/x.gz')).toBe(`data/other/p/README~${hash}`);
    });
  });

  describe('when the same source path is delivered again (a resend)', () => {
    it('should replace its own object and say which record it supersedes', async () => {
      const w = await workspace();
      await drop(w, 'in/report.csv', 'first\n', new Date('2026-11-01T00:00:00Z'));
      await sync(w);
      const [first] = await ledger(w);
      await drop(w, 'in/report.csv', 'second, longer\n', new Date('2026-11-02T00:00:00Z'));

      const again = await sync(w);

      expect(again.files.map((f) => [f.path, f.status])).toEqual([['in/report.csv', 'done']]);
      expect(await object(w, 'data/csv/plain/report.csv')).toBe('second, longer\n');
      const records = await ledger(w);
      expect(records).toHaveLength(2);
      const latest = records.find((r) => r.size === 15)!;
      expect(latest.supersedes).toEqual({
        record: ObjectStoreLedger.keyFor('plain', first!),
        size: 6,
        mtimeMs: Date.parse('2026-11-01T00:00:00Z'),
        sha256: sha256('first\n'),
        jobId: first!.jobId,
      });
      expect(first!.supersedes).toBeUndefined();
    });
  });

  describe('when a source lands', () => {
    it('should write a completion marker that lists every output with its size and sha256', async () => {
      const w = await workspace();
      const tar = await tarOf([['x.csv', 'one,two\n'], ['y.pdf', '%PDF-1.4 y']]);
      await drop(w, 'in/bundle.tar', tar, new Date('2026-11-03T10:00:00Z'));

      const summary = await sync(w);

      const marker = JSON.parse(await object(w, completionMarkerKey('plain', 'in/bundle.tar'))) as Record<string, unknown>;
      expect(completionMarkerKey('plain', 'in/bundle.tar')).toBe(`_octo/complete/plain/${sha256('in/bundle.tar')}.json`);
      expect(marker).toEqual({
        version: 1,
        provider: 'plain',
        source: { path: 'in/bundle.tar', size: tar.length, mtimeMs: Date.parse('2026-11-03T10:00:00Z'), sha256: sha256(tar) },
        outputs: [
          { key: 'data/csv/plain/x.csv', size: 8, sha256: sha256('one,two\n') },
          { key: 'data/pdf/plain/y.pdf', size: 10, sha256: sha256('%PDF-1.4 y') },
        ],
        jobId: summary.jobId,
        completedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
    });

    it('should write no marker for a file that fails', async () => {
      const w = await workspace();
      await drop(w, 'in/bad.csv.gz', 'not gzip');
      await sync(w);
      expect(await listFiles(path.join(w.bucketDir, '_octo/complete'))).toEqual([]);
    });
  });

  describe('in a dry run', () => {
    it('should list conflicts with the bucket and within the drop, with both paths and the outcome, and write nothing', async () => {
      const w = await workspace();
      await drop(w, 'a/report.csv', 'a\n');
      await sync(w);
      await drop(w, 'b/report.csv', 'b\n');
      await drop(w, 'c/day.xml', '<c/>');
      await drop(w, 'd/day.xml', '<d/>');
      await drop(w, 'e/unique.csv', 'e\n');
      const before = await listFiles(w.bucketDir);

      const summary = await sync(w, { dryRun: true });

      expect(summary.plan?.map((p) => [p.path, p.conflict])).toEqual([
        ['b/report.csv', { key: 'data/csv/plain/report.csv', owner: 'a/report.csv', where: 'bucket', outcome: 'fail' }],
        ['c/day.xml', undefined],
        ['d/day.xml', { key: 'data/xml/plain/day.xml', owner: 'c/day.xml', where: 'drop', outcome: 'fail' }],
        ['e/unique.csv', undefined],
      ]);
      expect(await listFiles(w.bucketDir)).toEqual(before);
    });

    it('should show where keep-both would land the file', async () => {
      const w = await workspace({ conflicts: 'keep-both' });
      await drop(w, 'a/report.csv', 'a\n');
      await sync(w);
      await drop(w, 'b/report.csv', 'b\n');
      const summary = await sync(w, { dryRun: true });
      expect(summary.plan?.[0]?.conflict).toEqual({
        key: 'data/csv/plain/report.csv',
        owner: 'a/report.csv',
        where: 'bucket',
        outcome: 'keep-both',
        keptAs: `data/csv/plain/report~${sha256('b/report.csv').slice(0, 8)}.csv`,
      });
    });
  });

  describe('when a key holds an object that no source claimed', () => {
    it('should fail the file rather than replace that object', async () => {
      const w = await workspace();
      await mkdir(path.join(w.bucketDir, 'data/csv/plain'), { recursive: true });
      await writeFile(path.join(w.bucketDir, 'data/csv/plain/report.csv'), 'put there by another tool\n');
      await drop(w, 'a/report.csv', 'a\n');

      const summary = await sync(w);

      expect(failure(summary, 'a/report.csv')).toEqual({ kind: 'route', reason: unownedObjectError('data/csv/plain/report.csv').message });
      expect(await object(w, 'data/csv/plain/report.csv')).toBe('put there by another tool\n');
      expect(await listFiles(path.join(w.bucketDir, '_octo/owners'))).toEqual([]);
    });

    it('should let a resend replace what its own earlier delivery landed before claims existed', async () => {
      const w = await workspace();
      await drop(w, 'in/report.csv', 'first\n', new Date('2026-11-01T00:00:00Z'));
      await sync(w);
      // As a bucket written before key ownership: the object and its record, no claim.
      await rm(path.join(w.bucketDir, '_octo/owners'), { recursive: true });
      await drop(w, 'in/report.csv', 'second\n', new Date('2026-11-02T00:00:00Z'));

      const again = await sync(w);

      expect(again.files.map((f) => [f.path, f.status])).toEqual([['in/report.csv', 'done']]);
      expect(await object(w, 'data/csv/plain/report.csv')).toBe('second\n');
      expect((await ledger(w)).find((r) => r.mtimeMs === Date.parse('2026-11-02T00:00:00Z'))?.supersedes?.sha256).toBe(sha256('first\n'));
    });
  });

  describe('when the ledger record cannot be written after the outputs became visible', () => {
    it('should keep the file’s claims: its objects are visible and still its own', async () => {
      const w = await workspace();
      const real = new ObjectStoreLedger(new LocalObjectStore(w.bucketDir));
      const failing: Ledger = {
        pending: (provider, files) => real.pending(provider, files),
        records: (provider) => real.records(provider),
        recordsFor: (provider, file) => real.recordsFor(provider, file),
        record: async () => {
          throw new OctoError('ledger', 'the ledger is unavailable');
        },
      };
      await drop(w, 'a/report.csv', 'a\n');

      const runtime = await w.runtime([overridingProvider('plain', { ledger: failing })]);
      const summary = await (await runtime.jobs.start('plain')).done;

      expect(failure(summary, 'a/report.csv')).toEqual({ kind: 'ledger', reason: 'the ledger is unavailable' });
      expect(await object(w, 'data/csv/plain/report.csv')).toBe('a\n');
      const claimDir = KeyOwnership.claimPrefix('plain', 'data/csv/plain/report.csv');
      expect(JSON.parse(await object(w, `${claimDir}00000001.json`))).toMatchObject({ sourcePath: 'a/report.csv' });
    });
  });

  describe('when a claim was left by a process that died before it recorded', () => {
    it('should take the key over rather than block it forever', async () => {
      const w = await workspace();
      // A crashed run of another source: a claim from a dead pid on this host, no ledger record.
      const claimDir = KeyOwnership.claimPrefix('plain', 'data/csv/plain/report.csv');
      const { hostname } = await import('node:os');
      await mkdir(path.join(w.bucketDir, claimDir), { recursive: true });
      await writeFile(
        path.join(w.bucketDir, claimDir, '00000001.json'),
        JSON.stringify({ key: 'data/csv/plain/report.csv', provider: 'plain', sourcePath: 'crashed/report.csv', jobId: 'gone', host: hostname(), pid: 2 ** 22 + 1, claimedAt: new Date().toISOString() }),
      );
      await drop(w, 'b/report.csv', 'b\n');

      const summary = await sync(w);

      expect(summary.files.map((f) => [f.path, f.status])).toEqual([['b/report.csv', 'done']]);
      expect(await object(w, 'data/csv/plain/report.csv')).toBe('b\n');
      expect(await listFiles(path.join(w.bucketDir, claimDir))).toEqual(['00000001.json', '00000002.json']);
      expect(JSON.parse(await object(w, `${claimDir}00000002.json`))).toMatchObject({ sourcePath: 'b/report.csv' });
    });
  });

  describe('on its own, over a local store', () => {
    async function ownership(conflicts: 'fail' | 'keep-both' = 'fail') {
      const w = await workspace();
      const store = new LocalObjectStore(w.bucketDir);
      const calls = { list: 0, putSmallIfAbsent: 0 };
      const counted = Object.assign(Object.create(store) as LocalObjectStore, {
        list: (prefix: string) => {
          calls.list += 1;
          return store.list(prefix);
        },
        putSmallIfAbsent: (key: string, body: string) => {
          calls.putSmallIfAbsent += 1;
          return store.putSmallIfAbsent(key, body);
        },
      });
      const context = { name: 'plain', config: { conflicts } } as unknown as ProviderContext;
      return { w, calls, owners: new KeyOwnership(context, counted, new ObjectStoreLedger(store)) };
    }

    it('should claim a new key with one conditional create and no listing', async () => {
      const { calls, owners } = await ownership();
      const result = await owners.claim('data/csv/plain/new.csv', 'in/new.csv', 'job-1');
      expect(result).toMatchObject({ status: 'owned', created: true, ownedBefore: false, tookOver: false });
      expect(calls).toEqual({ list: 0, putSmallIfAbsent: 1 });
    });

    it('should report a claim that is not valid JSON as a store error that says what to do', async () => {
      const { w, owners } = await ownership();
      const prefix = KeyOwnership.claimPrefix('plain', 'data/csv/plain/x.csv');
      await mkdir(path.join(w.bucketDir, prefix), { recursive: true });
      await writeFile(path.join(w.bucketDir, prefix, '00000001.json'), '{ not json');
      await expect(owners.claim('data/csv/plain/x.csv', 'in/x.csv', 'job-1')).rejects.toMatchObject({
        kind: 'store',
        message: `the claim ${prefix}00000001.json of data/csv/plain/x.csv is not valid JSON (written by hand?); delete it, and the next source that maps to the key claims it`,
      });
    });

    it('should not remove a first claim that another source has taken over since', async () => {
      const { w, owners } = await ownership();
      const key = 'data/csv/plain/report.csv';
      const mine = await owners.claim(key, 'a/report.csv', 'job-1');
      if (mine.status !== 'owned') throw new Error('expected the key to be free');
      // Another machine decided the claim was stale and took the key (the second generation).
      const prefix = KeyOwnership.claimPrefix('plain', key);
      await writeFile(
        path.join(w.bucketDir, prefix, '00000002.json'),
        JSON.stringify({ key, provider: 'plain', sourcePath: 'b/report.csv', jobId: 'job-2', host: 'elsewhere', pid: 1, claimedAt: new Date().toISOString() }),
      );

      await owners.release([mine]);

      expect(await listFiles(path.join(w.bucketDir, prefix))).toEqual(['00000001.json', '00000002.json']);
      const third = await owners.claim(key, 'c/report.csv', 'job-3');
      expect(third).toMatchObject({ status: 'conflict', owner: { sourcePath: 'b/report.csv' } });
    });
  });
});
