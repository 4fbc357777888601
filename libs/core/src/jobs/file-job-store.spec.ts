import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobReport } from './job-report.js';
import { FileJobStore } from './file-job-store.js';
import { currentJobOwner, JOB_LEASE_MS } from './job-liveness.js';

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
      const now = new Date('2026-11-22T00:00:00.000Z');
      const fresh = new Date(now.getTime() - JOB_LEASE_MS + 1000).toISOString();
      const stale = new Date(now.getTime() - JOB_LEASE_MS - 1000).toISOString();
      await store.save(report('dead-pid'));
      await store.save(report('other-host-stale', { owner: { pid: process.pid, host: `${hostname()}-elsewhere` }, heartbeatAt: stale }));
      await store.save(report('other-host-beating', { owner: { pid: process.pid, host: `${hostname()}-elsewhere` }, heartbeatAt: fresh }));
      await store.save(report('our-pid-earlier-start', { owner: { pid: process.pid, host: hostname(), instance: 'an-earlier-process' } }));
      await store.save(report('this-process', { owner: currentJobOwner() }));
      await store.save(report('live-owner', { owner: { pid: process.ppid, host: hostname() } }));
      await store.save(report('ended', { status: 'partial' }));
      const changed = await store.recoverInterrupted(now);
      expect(changed.map((r) => r.jobId).sort()).toEqual(['dead-pid', 'other-host-stale', 'our-pid-earlier-start']);
      expect(await store.get('dead-pid')).toMatchObject({ status: 'interrupted', finishedAt: '2026-11-22T00:00:00.000Z', error: { kind: 'internal' } });
      expect((await store.get('dead-pid'))?.error?.reason).toContain(`pid ${DEAD_PID}`);
      expect((await store.get('live-owner'))?.status).toBe('running');
      expect((await store.get('this-process'))?.status).toBe('running');
      expect((await store.get('ended'))?.status).toBe('partial');
    });

    it('should read a dead job as interrupted before anyone rewrote it', async () => {
      await store.save(report('dead-pid'));
      expect((await store.get('dead-pid'))?.status).toBe('interrupted');
      expect((await store.list()).map((r) => r.status)).toEqual(['interrupted']);
      expect(JSON.parse(await readFile(path.join(workDir, 'jobs', 'dead-pid.json'), 'utf8')).status).toBe('running');
    });
  });

  describe('when events are appended', () => {
    it('should read back whole lines after an id, in order, and skip a line still being written', async () => {
      const at = '2026-11-20T10:00:00.000Z';
      await store.appendEvents('job-a', [
        { id: 1, event: { type: 'job.started', jobId: 'job-a', provider: 'example', total: 2, totalBytes: 10, at } },
        { id: 3, event: { type: 'file.started', jobId: 'job-a', path: 'a.csv', size: 4, at } },
      ]);
      await store.appendEvents('job-a', [{ id: 4, event: { type: 'file.started', jobId: 'job-a', path: 'b.csv', size: 6, at } }]);
      await appendFile(path.join(workDir, 'jobs', 'job-a.events.ndjson'), '{"id":5,"event":{"type":"file.');
      expect((await store.readEvents('job-a')).map((e) => e.id)).toEqual([1, 3, 4]);
      expect((await store.readEvents('job-a', 3)).map((e) => e.event)).toEqual([{ type: 'file.started', jobId: 'job-a', path: 'b.csv', size: 6, at }]);
      expect(await store.readEvents('no-such-job')).toEqual([]);
      expect(await store.readEvents('../escape')).toEqual([]);
    });
  });

  describe('when finished jobs are pruned', () => {
    it('should keep the newest maxJobs finished ones younger than maxAgeDays, with their events, and every active one', async () => {
      const now = new Date('2026-11-30T00:00:00.000Z');
      const ended = (id: string, day: number) => report(id, { status: 'succeeded', createdAt: `2026-11-${day}T10:00:00.000Z`, finishedAt: `2026-11-${day}T10:05:00.000Z` });
      await store.save(ended('old', 10));
      await store.save(ended('third', 27));
      await store.save(ended('second', 28));
      await store.save(ended('first', 29));
      await store.save(report('running-old', { createdAt: '2026-11-01T10:00:00.000Z', owner: currentJobOwner() }));
      await store.appendEvents('third', [{ id: 1, event: { type: 'job.started', jobId: 'third', provider: 'example', total: 0, totalBytes: 0, at: now.toISOString() } }]);
      const removed = await store.prune({ maxJobs: 2, maxAgeDays: 15 }, now);
      expect(removed.sort()).toEqual(['old', 'third']);
      expect((await readdir(path.join(workDir, 'jobs'))).sort()).toEqual(['first.json', 'running-old.json', 'second.json']);
    });
  });
});
