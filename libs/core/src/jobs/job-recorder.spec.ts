import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JobEvent } from '../ports/job-events.js';
import { silentLogger } from '../ports/logger.js';
import { applyJobEvent, initialJobState } from './job-projection.js';
import { JOB_WRITE_INTERVAL_MS, JobRecorder } from './job-recorder.js';
import { startedJobReport, type JobReport } from './job-report.js';
import type { JobStore, StoredJobEvent } from './job-store.js';

/** A store that keeps what it was given, in memory (the recorder's logic only). */
function memoryStore() {
  const saved: JobReport[] = [];
  const events: StoredJobEvent[] = [];
  const store: Pick<JobStore, 'save' | 'appendEvents'> = {
    save: async (report) => void saved.push(JSON.parse(JSON.stringify(report)) as JobReport),
    appendEvents: async (_jobId, batch) => void events.push(...batch),
  };
  return { store: store as JobStore, saved, events };
}

const at = '2026-11-20T10:00:00.000Z';

describe(JobRecorder, () => {
  afterEach(() => vi.useRealTimers());

  describe('when a job sends events', () => {
    it('should keep every event but file.progress, and save reports holding exactly the events up to their lastEventId', async () => {
      vi.useFakeTimers();
      const { store, saved, events } = memoryStore();
      const state = initialJobState(startedJobReport({ id: 'job-1', provider: 'example', dryRun: false }, { pid: 1, host: 'h' }));
      const recorder = new JobRecorder(store, state, silentLogger);
      await recorder.start();
      let id = 0;
      const emit = (event: JobEvent) => {
        applyJobEvent(state, event);
        recorder.record(event, (id += 1));
      };
      emit({ type: 'job.started', jobId: 'job-1', provider: 'example', total: 2, totalBytes: 20, at });
      emit({ type: 'file.started', jobId: 'job-1', path: 'a.csv', size: 10, at });
      emit({ type: 'file.progress', jobId: 'job-1', path: 'a.csv', bytes: 5, size: 10, at });
      emit({ type: 'file.done', jobId: 'job-1', path: 'a.csv', outputs: [], durationMs: 1, progress: { filesDone: 1, filesTotal: 2, percent: 50, bytesDone: 10, bytesTotal: 20 }, at });
      await vi.advanceTimersByTimeAsync(JOB_WRITE_INTERVAL_MS);
      // A file that ends after that write is in neither the saved report nor the stored events yet.
      emit({ type: 'file.started', jobId: 'job-1', path: 'b.csv', size: 10, at });
      expect(events.map((stored) => [stored.id, stored.event.type])).toEqual([
        [1, 'job.started'],
        [2, 'file.started'],
        [4, 'file.done'],
      ]);
      const last = saved.at(-1)!;
      expect(last).toMatchObject({ lastEventId: 4, succeeded: 1 });
      expect(last.files.map((file) => file.path)).toEqual(['a.csv']);
      expect(typeof last.heartbeatAt).toBe('string');
      await recorder.finish();
      expect(events.at(-1)).toEqual({ id: 5, event: { type: 'file.started', jobId: 'job-1', path: 'b.csv', size: 10, at } });
      expect(saved.at(-1)).toMatchObject({ lastEventId: 5 });
    });
  });
});
