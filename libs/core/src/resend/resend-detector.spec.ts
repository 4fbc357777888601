import { mkdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { TYPES } from '../ports/identifiers.js';
import type { JobSummary } from '../ports/job-events.js';
import type { LedgerRecord } from '../ports/ledger.js';
import { listFiles, sha256 } from '../testing/files.js';
import { createTempWorkspace, type TempWorkspace } from '../testing/temp-workspace.js';

const workspaces: TempWorkspace[] = [];

afterEach(async () => {
  await Promise.all(workspaces.splice(0).map((w) => w.cleanup()));
});

async function workspace(providerConfig: Record<string, unknown> = {}): Promise<TempWorkspace> {
  const w = await createTempWorkspace({ providerConfig });
  workspaces.push(w);
  return w;
}

async function sync(w: TempWorkspace): Promise<JobSummary> {
  return (await (await w.runtime()).jobs.start('plain')).done;
}

async function ledgerOf(w: TempWorkspace): Promise<LedgerRecord[]> {
  const handle = await (await w.runtime()).providers.create('plain');
  const records: LedgerRecord[] = [];
  for await (const record of handle.container.get(TYPES.Ledger).records('plain')) records.push(record);
  return records.sort((a, b) => a.path.localeCompare(b.path));
}

const statement = gzipSync('id,amount\n1,2\n');

describe('ResendDetector', () => {
  describe('when the same bytes arrive again under another name', () => {
    it('should land them again with the default policy, and say which file they repeat in the result and the ledger', async () => {
      const w = await workspace();
      await writeFile(path.join(w.dropDir, 'statement_1101.csv.gz'), statement);
      const first = await sync(w);
      expect(first.files).toEqual([expect.objectContaining({ path: 'statement_1101.csv.gz', status: 'done' })]);
      expect(first.files[0]).not.toHaveProperty('resendOf');

      await mkdir(path.join(w.dropDir, 'again'));
      await writeFile(path.join(w.dropDir, 'again', 'statement_1101_v2.csv.gz'), statement);
      const second = await sync(w);
      expect(second.files).toEqual([
        expect.objectContaining({
          path: 'again/statement_1101_v2.csv.gz',
          status: 'done',
          sha256: sha256(statement),
          outputs: [expect.objectContaining({ key: 'data/csv/plain/statement_1101_v2.csv' })],
          resendOf: { path: 'statement_1101.csv.gz', size: statement.length, mtimeMs: expect.any(Number), jobId: first.jobId, ingestedAt: expect.any(String), policy: 'land' },
        }),
      ]);
      const records = await ledgerOf(w);
      expect(records.map((r) => [r.path, r.resendOf?.path, r.outputs.length])).toEqual([
        ['again/statement_1101_v2.csv.gz', 'statement_1101.csv.gz', 1],
        ['statement_1101.csv.gz', undefined, 1],
      ]);
    });

    it('should land nothing with resend: skip, record it without outputs, and not read it again', async () => {
      const w = await workspace({ resend: 'skip' });
      await writeFile(path.join(w.dropDir, 'a.csv.gz'), statement);
      await sync(w);
      await writeFile(path.join(w.dropDir, 'b.csv.gz'), statement);
      const second = await sync(w);
      expect(second).toMatchObject({ status: 'succeeded', total: 1, succeeded: 1, bytesOut: 0 });
      expect(second.files).toEqual([expect.objectContaining({ path: 'b.csv.gz', status: 'done', outputs: [], resendOf: expect.objectContaining({ path: 'a.csv.gz', policy: 'skip' }) })]);
      expect(await listFiles(path.join(w.bucketDir, 'data'))).toEqual(['csv/plain/a.csv']);
      // No key claim and no completion marker of the skipped file stay.
      expect(await listFiles(path.join(w.bucketDir, '_octo/owners'))).toHaveLength(1);
      expect(await listFiles(path.join(w.bucketDir, '_octo/complete'))).toHaveLength(1);
      expect((await ledgerOf(w)).map((r) => [r.path, r.outputs.length, r.resendOf?.policy])).toEqual([
        ['a.csv.gz', 1, undefined],
        ['b.csv.gz', 0, 'skip'],
      ]);
      expect(await sync(w)).toMatchObject({ total: 0, files: [] });
    });

    it('should not call the same path delivered again a resend', async () => {
      const w = await workspace({ resend: 'skip' });
      await writeFile(path.join(w.dropDir, 'a.csv.gz'), statement);
      await sync(w);
      // Same bytes, same path, a new mtime: a redelivery of the path (supersedes), not a resend.
      const later = new Date(Date.now() + 5000);
      await utimes(path.join(w.dropDir, 'a.csv.gz'), later, later);
      const again = await sync(w);
      expect(again.files).toEqual([expect.objectContaining({ path: 'a.csv.gz', status: 'done', outputs: [expect.objectContaining({ key: 'data/csv/plain/a.csv' })] })]);
      expect(again.files[0]).not.toHaveProperty('resendOf');
    });

    it('should keep the first delivery in the content index', async () => {
      const w = await workspace();
      await writeFile(path.join(w.dropDir, 'a.csv.gz'), statement);
      await sync(w);
      await writeFile(path.join(w.dropDir, 'b.csv.gz'), statement);
      await sync(w);
      await writeFile(path.join(w.dropDir, 'c.csv.gz'), statement);
      const third = await sync(w);
      expect(third.files.map((f) => (f.status === 'done' ? f.resendOf?.path : f.status))).toEqual(['a.csv.gz']);
      expect(await listFiles(path.join(w.bucketDir, '_octo/content'))).toEqual([`plain/${sha256(statement)}.json`]);
    });
  });
});
