import { hostname } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobEvent } from '../ports/job-events.js';
import { currentJobOwner, JOB_LEASE_MS } from './job-liveness.js';
import type { JobReport } from './job-report.js';
import type { JobStore } from './job-store.js';

const DEAD_PID = 2 ** 22 + 17; // above Linux's pid_max: never a live process
const at = '2026-11-20T10:00:00.000Z';

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

const started = (jobId: string): JobEvent => ({ type: 'job.started', jobId, provider: 'example', total: 2, totalBytes: 10, at });
const fileStarted = (jobId: string, path: string): JobEvent => ({ type: 'file.started', jobId, path, size: 4, at });

/**
 * The cases every {@link JobStore} adapter must pass (files in the work directory, Redis), so
 * the embedded default and distributed mode cannot drift apart. `open` makes an empty store;
 * `close` releases it.
 */
export function jobStoreContract(name: string, open: () => Promise<{ store: JobStore; close(): Promise<void> }>): void {
  describe(`${name} (JobStore contract)`, () => {
    let store: JobStore;
    let close: () => Promise<void>;

    beforeEach(async () => {
      ({ store, close } = await open());
    });

    afterEach(async () => {
      await close();
    });

    describe('when reports are saved', () => {
      it('should replace a job\'s report whole and list them newest first', async () => {
        await store.save(report('job-a', { createdAt: '2026-11-20T10:00:00.000Z', owner: currentJobOwner() }));
        await store.save(report('job-b', { createdAt: '2026-11-21T10:00:00.000Z', status: 'failed' }));
        await store.save(report('job-a', { createdAt: '2026-11-20T10:00:00.000Z', status: 'succeeded', succeeded: 2 }));
        expect((await store.list()).map((r) => [r.jobId, r.status])).toEqual([
          ['job-b', 'failed'],
          ['job-a', 'succeeded'],
        ]);
        expect(await store.get('job-a')).toMatchObject({ status: 'succeeded', succeeded: 2 });
        expect(await store.get('job-c')).toBeUndefined();
      });

      it('should refuse ids that could leave their place', async () => {
        expect(await store.get('../../etc/passwd')).toBeUndefined();
        await expect(store.save(report('../escape'))).rejects.toThrow('"../escape" is not a valid job id');
        expect(await store.readEvents('../escape')).toEqual([]);
      });
    });

    describe('when a running job\'s process is gone', () => {
      it('should read it as interrupted, rewrite it so on recovery, and leave live owners and ended jobs alone', async () => {
        const now = new Date();
        const fresh = new Date(now.getTime() - JOB_LEASE_MS + 5000).toISOString();
        const stale = new Date(now.getTime() - JOB_LEASE_MS - 1000).toISOString();
        const elsewhere = `${hostname()}-elsewhere`;
        await store.save(report('dead-pid'));
        await store.save(report('other-host-stale', { owner: { pid: process.pid, host: elsewhere }, heartbeatAt: stale }));
        await store.save(report('other-host-beating', { owner: { pid: process.pid, host: elsewhere }, heartbeatAt: fresh }));
        await store.save(report('our-pid-earlier-start', { owner: { pid: process.pid, host: hostname(), instance: 'an-earlier-process' } }));
        await store.save(report('this-process', { owner: currentJobOwner() }));
        await store.save(report('live-owner', { owner: { pid: process.ppid, host: hostname() } }));
        await store.save(report('ended', { status: 'partial' }));
        expect((await store.get('dead-pid'))?.status).toBe('interrupted');
        const changed = await store.recoverInterrupted(now);
        expect(changed.map((r) => r.jobId).sort()).toEqual(['dead-pid', 'other-host-stale', 'our-pid-earlier-start']);
        expect(await store.get('dead-pid')).toMatchObject({ status: 'interrupted', finishedAt: now.toISOString(), error: { kind: 'internal' } });
        expect((await store.get('dead-pid'))?.error?.reason).toBe(
          `the process that ran this job (pid ${DEAD_PID} on ${hostname()}) stopped before it ended; start a new job to process the remaining files`,
        );
        for (const alive of ['other-host-beating', 'this-process', 'live-owner']) expect((await store.get(alive))?.status, alive).toBe('running');
        expect((await store.get('ended'))?.status).toBe('partial');
      });
    });

    describe('when events are appended', () => {
      it('should read them back in order after an id', async () => {
        await store.appendEvents('job-a', [
          { id: 1, event: started('job-a') },
          { id: 3, event: fileStarted('job-a', 'a.csv') },
        ]);
        await store.appendEvents('job-a', []);
        await store.appendEvents('job-a', [{ id: 4, event: fileStarted('job-a', 'b.csv') }]);
        expect((await store.readEvents('job-a')).map((e) => e.id)).toEqual([1, 3, 4]);
        expect(await store.readEvents('job-a', 3)).toEqual([{ id: 4, event: fileStarted('job-a', 'b.csv') }]);
        expect(await store.readEvents('no-such-job')).toEqual([]);
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
        await store.appendEvents('third', [{ id: 1, event: started('third') }]);
        expect((await store.prune({ maxJobs: 2, maxAgeDays: 15 }, now)).sort()).toEqual(['old', 'third']);
        expect((await store.list()).map((r) => r.jobId)).toEqual(['first', 'second', 'running-old']);
        expect(await store.readEvents('third')).toEqual([]);
        expect(await store.get('old')).toBeUndefined();
      });
    });
  });
}
