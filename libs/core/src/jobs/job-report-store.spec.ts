import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobReport } from './job-report.js';
import { FileJobReportStore } from './job-report-store.js';

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

describe(FileJobReportStore, () => {
  let workDir: string;
  let store: FileJobReportStore;

  beforeEach(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'octo-reports-'));
    store = new FileJobReportStore(workDir);
  });

  afterEach(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  describe('when reports are saved', () => {
    it('should keep one file per job, replaced whole, and list them newest first', async () => {
      await store.save(report('job-a', { createdAt: '2026-11-20T10:00:00.000Z' }));
      await store.save(report('job-b', { createdAt: '2026-11-21T10:00:00.000Z' }));
      await store.save(report('job-a', { createdAt: '2026-11-20T10:00:00.000Z', status: 'succeeded', succeeded: 2 }));
      expect((await readdir(path.join(workDir, 'jobs'))).sort()).toEqual(['job-a.json', 'job-b.json']);
      expect((await store.list()).map((r) => r.jobId)).toEqual(['job-b', 'job-a']);
      expect(await store.get('job-a')).toMatchObject({ status: 'succeeded', succeeded: 2 });
    });

    it('should refuse ids that could leave the folder and skip unreadable files', async () => {
      expect(await store.get('../../etc/passwd')).toBeUndefined();
      await expect(store.save(report('../escape'))).rejects.toThrow('"../escape" is not a valid job id');
      await store.save(report('job-a'));
      await writeFile(path.join(workDir, 'jobs', 'torn.json'), '{"version":1,');
      expect((await store.list()).map((r) => r.jobId)).toEqual(['job-a']);
    });
  });

  describe('when a running job\'s process is gone', () => {
    it('should mark it interrupted and leave ended jobs and live owners alone', async () => {
      await store.save(report('dead-pid'));
      await store.save(report('other-host', { owner: { pid: process.pid, host: `${hostname()}-elsewhere` } }));
      await store.save(report('live-owner', { owner: { pid: process.ppid, host: hostname() } }));
      await store.save(report('ended', { status: 'partial' }));
      const changed = await store.recoverInterrupted(new Date('2026-11-22T00:00:00.000Z'));
      expect(changed.map((r) => r.jobId).sort()).toEqual(['dead-pid', 'other-host']);
      expect(await store.get('dead-pid')).toMatchObject({ status: 'interrupted', finishedAt: '2026-11-22T00:00:00.000Z', error: { kind: 'internal' } });
      expect((await store.get('dead-pid'))?.error?.reason).toContain(`pid ${DEAD_PID}`);
      expect((await store.get('live-owner'))?.status).toBe('running');
      expect((await store.get('ended'))?.status).toBe('partial');
    });
  });
});
