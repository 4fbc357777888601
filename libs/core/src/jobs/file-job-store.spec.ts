import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobReport } from './job-report.js';
import { FileJobStore } from './file-job-store.js';
import { jobStoreContract } from './job-store-contract.js';

const DEAD_PID = 2 ** 22 + 17; // above Linux's pid_max: never a live process

function report(jobId: string, overrides: Partial<JobReport> = {}): JobReport {
  return {
    version: 1,
    jobId,
    provider: 'example',
    status: 'running',
    dryRun: false,
    createdAt: '2026-11-20T10:00:00.000Z',
    progress: { filesDone: 0, filesTotal: 2, percent: 0, bytesDone: 0, bytesTotal: 10 },
    succeeded: 0,
    failed: 0,
    bytesIn: 0,
    bytesOut: 0,
    files: [],
    owner: { pid: DEAD_PID, host: hostname() },
    ...overrides,
  };
}

jobStoreContract('FileJobStore', async () => {
  const workDir = await mkdtemp(path.join(tmpdir(), 'octo-job-store-'));
  return { store: new FileJobStore(workDir), close: () => rm(workDir, { recursive: true, force: true }) };
});

describe(FileJobStore, () => {
  let workDir: string;
  let store: FileJobStore;

  beforeEach(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'octo-reports-'));
    store = new FileJobStore(workDir);
  });

  afterEach(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  describe('when reports are saved', () => {
    it('should keep one file per job and skip unreadable files', async () => {
      await store.save(report('job-a', { status: 'succeeded' }));
      await store.save(report('job-a', { status: 'succeeded', succeeded: 2 }));
      await writeFile(path.join(workDir, 'jobs', 'torn.json'), '{"version":1,');
      expect((await readdir(path.join(workDir, 'jobs'))).sort()).toEqual(['job-a.json', 'torn.json']);
      expect((await store.list()).map((r) => r.jobId)).toEqual(['job-a']);
    });
  });

  describe('when a running job\'s process is gone', () => {
    it('should read it as interrupted without rewriting its file until recovery', async () => {
      await store.save(report('dead-pid'));
      expect((await store.list()).map((r) => r.status)).toEqual(['interrupted']);
      expect(JSON.parse(await readFile(path.join(workDir, 'jobs', 'dead-pid.json'), 'utf8')).status).toBe('running');
    });
  });

  describe('when events are appended', () => {
    it('should keep them in <jobId>.events.ndjson and skip a last line still being written', async () => {
      await store.appendEvents('job-a', [{ id: 1, event: { type: 'file.started', jobId: 'job-a', path: 'a.csv', size: 4, at: '2026-11-20T10:00:00.000Z' } }]);
      await appendFile(path.join(workDir, 'jobs', 'job-a.events.ndjson'), '{"id":2,"event":{"type":"file.');
      expect((await store.readEvents('job-a')).map((e) => e.id)).toEqual([1]);
      expect(await readdir(path.join(workDir, 'jobs'))).toEqual(['job-a.events.ndjson']);
    });
  });
});
