import { ACTIVE_JOB_STATUSES, type JobEvent, type JobHandle, type JobStore } from '@octo/core';
import type { JobDetailView } from '../http/schemas.js';
import { jobDetailView } from './job-views.js';

/** How often a job that runs in another process is read again from the job store. */
export const FOLLOW_POLL_MS = 500;

/** Receives a followed job's events with their ids; `onEnd` once nothing more will come. */
export interface JobFollower {
  onEvent(event: JobEvent, id: number): void;
  onEnd(): void;
}

/** A job being followed. */
export interface JobFollow {
  /** The job as it was when following began and the id of its last event it includes; absent when resuming after an event id. */
  readonly state?: { readonly view: JobDetailView; readonly id: number };
  /** Stops following (no more calls to the follower). */
  stop(): void;
}

/**
 * Follows a job wherever it runs: one of this process through its handle (live), one of another
 * process (the CLI, another API, a worker) through the job store (read every
 * {@link FOLLOW_POLL_MS}). With `afterId`, resumes after that event instead of starting with the
 * job's state. Undefined for an unknown job; `'gone'` when a finished job has nothing after `afterId`.
 * `job.finished` of a local job is delivered once its report is final and its provider free.
 */
export async function followJob(
  id: string,
  afterId: number | undefined,
  local: JobHandle | undefined,
  store: JobStore,
  follower: JobFollower,
): Promise<JobFollow | undefined | 'gone'> {
  if (local && !local.finished) return followLocal(local, afterId, follower);
  const report = await store.get(id);
  if (!report) return undefined;
  const lastId = report.lastEventId ?? 0;
  const active = ACTIVE_JOB_STATUSES.has(report.status);
  if (!active && afterId !== undefined && afterId >= lastId) return 'gone';
  let stopped = false;
  let sent = afterId ?? lastId;
  let timer: NodeJS.Timeout | undefined;
  const follow: JobFollow = {
    ...(afterId === undefined ? { state: { view: jobDetailView(report), id: lastId } } : {}),
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
  // Replays (on a resume) and polls after the caller has the state: its events come after it.
  const poll = async (): Promise<void> => {
    if (stopped) return;
    const events = await store.readEvents(id, sent).catch(() => []);
    for (const stored of events) {
      if (stopped) return;
      sent = stored.id;
      follower.onEvent(stored.event, stored.id);
      if (stored.event.type === 'job.finished') return finish();
    }
    const now = events.length > 0 || !active ? undefined : await store.get(id).catch(() => undefined);
    if (!active || (now && !ACTIVE_JOB_STATUSES.has(now.status) && (now.lastEventId ?? 0) <= sent)) return finish();
    timer = setTimeout(() => void poll(), FOLLOW_POLL_MS);
    timer.unref();
  };
  const finish = () => {
    if (stopped) return;
    follow.stop();
    follower.onEnd();
  };
  queueMicrotask(() => void poll());
  return follow;
}

function followLocal(job: JobHandle, afterId: number | undefined, follower: JobFollower): JobFollow {
  let stopped = false;
  const deliver = (event: JobEvent, eventId: number) => {
    if (stopped) return;
    if (event.type !== 'job.finished') return follower.onEvent(event, eventId);
    // The runner frees the provider and writes the final report just after this event: wait for both.
    void job.done.then(() => {
      if (stopped) return;
      follower.onEvent(event, eventId);
      stopped = true;
      follower.onEnd();
    });
  };
  // Snapshot, replay and subscription in one tick, so no event falls between them.
  const state = afterId === undefined ? { view: jobDetailView(job.state.report, job.state.inFlight), id: job.events.length } : undefined;
  if (afterId !== undefined) job.events.slice(afterId).forEach((event, index) => deliver(event, afterId + index + 1));
  const unsubscribe = job.subscribe(deliver);
  return {
    ...(state ? { state } : {}),
    stop: () => {
      stopped = true;
      unsubscribe();
    },
  };
}
