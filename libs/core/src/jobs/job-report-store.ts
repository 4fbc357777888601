import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { OctoError } from '../errors/octo-error.js';
import type { Logger } from '../ports/logger.js';
import { silentLogger } from '../ports/logger.js';
import { processAlive } from '../util/process-alive.js';
import { ACTIVE_JOB_STATUSES, newestJobReportFirst, type JobOwner, type JobReport } from './job-report.js';

/** Where job reports are kept. */
export interface JobReportStore {
  /** Writes (or replaces) a report; a reader sees the old one or the new one, never half. */
  save(report: JobReport): Promise<void>;
  get(jobId: string): Promise<JobReport | undefined>;
  /** Every report, newest first (by `createdAt`). */
  list(): Promise<JobReport[]>;
}

const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;

/**
 * Job reports as JSON files in `<workDir>/jobs/<jobId>.json`, written through a temp file
 * and a rename so a crash mid-write never leaves a torn report.
 */
export class FileJobReportStore implements JobReportStore {
  readonly dir: string;

  constructor(
    workDir: string,
    private readonly logger: Logger = silentLogger,
  ) {
    this.dir = path.join(workDir, 'jobs');
  }

  async save(report: JobReport): Promise<void> {
    const file = this.fileFor(report.jobId);
    await mkdir(this.dir, { recursive: true });
    const temp = path.join(this.dir, `.${report.jobId}.${randomUUID()}.tmp`);
    try {
      await writeFile(temp, `${JSON.stringify(report, null, 2)}\n`, { mode: 0o600 });
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw new OctoError('internal', `cannot write the job report ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
    }
  }

  async get(jobId: string): Promise<JobReport | undefined> {
    if (!JOB_ID.test(jobId)) return undefined;
    return this.read(this.fileFor(jobId));
  }

  async list(): Promise<JobReport[]> {
    const names = await readdir(this.dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[];
      throw error;
    });
    const reports: JobReport[] = [];
    for (const name of names) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      const report = await this.read(path.join(this.dir, name));
      if (report) reports.push(report);
    }
    return reports.sort(newestJobReportFirst);
  }

  /**
   * Marks as `interrupted` (and rewrites) every report still `queued` or `running` whose
   * process is gone: on this host with a pid that no longer runs (or is our own pid, left
   * by an earlier incarnation), or written on another host. Returns the reports it changed.
   */
  async recoverInterrupted(now = new Date()): Promise<JobReport[]> {
    const changed: JobReport[] = [];
    for (const report of await this.list()) {
      if (!ACTIVE_JOB_STATUSES.has(report.status) || ownerAlive(report.owner)) continue;
      const interrupted: JobReport = {
        ...report,
        status: 'interrupted',
        finishedAt: report.finishedAt ?? now.toISOString(),
        error: report.error ?? { kind: 'internal', reason: `the process that ran this job (pid ${report.owner.pid} on ${report.owner.host}) stopped before it ended; start a new job to process the remaining files` },
      };
      await this.save(interrupted);
      changed.push(interrupted);
    }
    return changed;
  }

  private fileFor(jobId: string): string {
    if (!JOB_ID.test(jobId)) throw new OctoError('internal', `"${jobId}" is not a valid job id`);
    return path.join(this.dir, `${jobId}.json`);
  }

  private async read(file: string): Promise<JobReport | undefined> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const report = JSON.parse(text) as JobReport;
      return report.version === 1 && typeof report.jobId === 'string' ? report : undefined;
    } catch {
      // A report is only ever replaced by rename, so a bad one was edited by hand: skip it, say so.
      this.logger.warn('skipping an unreadable job report', { file });
      return undefined;
    }
  }
}

/** This process, as a job owner. */
export function currentJobOwner(): JobOwner {
  return { pid: process.pid, host: hostname() };
}

function ownerAlive(owner: JobOwner): boolean {
  return owner.host === hostname() && owner.pid !== process.pid && processAlive(owner.pid);
}
