import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { processAlive } from '../util/process-alive.js';
import { ACTIVE_JOB_STATUSES, type JobOwner, type JobReport } from './job-report.js';

/** A running job renews its report's heartbeat this often. */
export const JOB_BEAT_MS = 5_000;
/** A running job of another machine whose heartbeat is older than this died with its process. */
export const JOB_LEASE_MS = 6 * JOB_BEAT_MS;

const INSTANCE = randomUUID();

/** This process, as a job owner. */
export function currentJobOwner(): JobOwner {
  return { pid: process.pid, host: hostname(), instance: INSTANCE };
}

/**
 * True while the process that runs a job may still be running it: this process; on this host,
 * a live pid that is not ours (ours with another instance id is an earlier incarnation);
 * on another host, a heartbeat within the lease.
 */
export function jobOwnerAlive(report: JobReport, now = Date.now()): boolean {
  const owner = report.owner;
  if (owner.instance !== undefined && owner.instance === INSTANCE) return true;
  if (owner.host === hostname()) return owner.pid !== process.pid && processAlive(owner.pid);
  const beat = report.heartbeatAt ? Date.parse(report.heartbeatAt) : Number.NaN;
  return Number.isFinite(beat) && now - beat <= JOB_LEASE_MS;
}

/** The report as a reader should see it: `interrupted` when it is active and its process is gone. */
export function withLiveness(report: JobReport, now = new Date()): JobReport {
  if (!ACTIVE_JOB_STATUSES.has(report.status) || jobOwnerAlive(report, now.getTime())) return report;
  return {
    ...report,
    status: 'interrupted',
    finishedAt: report.finishedAt ?? now.toISOString(),
    error: report.error ?? {
      kind: 'internal',
      reason: `the process that ran this job (pid ${report.owner.pid} on ${report.owner.host}) stopped before it ended; start a new job to process the remaining files`,
    },
  };
}

/**
 * Writes back, as `interrupted`, every stored report whose process is gone (see
 * {@link withLiveness}); returns the reports it changed. Shared by every JobStore.
 */
export async function saveInterrupted(reports: readonly JobReport[], save: (report: JobReport) => Promise<void>, now = new Date()): Promise<JobReport[]> {
  const changed: JobReport[] = [];
  for (const report of reports) {
    const seen = withLiveness(report, now);
    if (seen === report) continue;
    await save(seen);
    changed.push(seen);
  }
  return changed;
}
