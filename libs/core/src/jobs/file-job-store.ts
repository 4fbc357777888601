import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OctoError } from '../errors/octo-error.js';
import type { Logger } from '../ports/logger.js';
import { silentLogger } from '../ports/logger.js';
import { newestJobReportFirst, type JobReport } from './job-report.js';
import { saveInterrupted, withLiveness } from './job-liveness.js';
import type { JobRetention, JobStore, StoredJobEvent } from './job-store.js';
import { jobsToPrune } from './jobs-to-prune.js';

const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;

/**
 * Jobs as files in `<workDir>/jobs/`: `<jobId>.json` the report, written through a temp file
 * and a rename so a crash mid-write never leaves a torn report, and `<jobId>.events.ndjson`
 * the job's events, one JSON line each, appended as they happen.
 */
export class FileJobStore implements JobStore {
  readonly dir: string;

  constructor(
    workDir: string,
    private readonly logger: Logger = silentLogger,
  ) {
    this.dir = path.join(workDir, 'jobs');
  }

  async save(report: JobReport): Promise<void> {
    const file = this.fileFor(report.jobId, 'json');
    await mkdir(this.dir, { recursive: true });
    const temp = path.join(this.dir, `.${report.jobId}.${randomUUID()}.tmp`);
    try {
      await writeFile(temp, `${JSON.stringify(report, null, 2)}\n`, { mode: 0o600 });
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw new OctoError('internal', `cannot write the report of job ${report.jobId} in the work directory's jobs folder: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
    }
  }

  async get(jobId: string): Promise<JobReport | undefined> {
    if (!JOB_ID.test(jobId)) return undefined;
    const report = await this.read(this.fileFor(jobId, 'json'));
    return report && withLiveness(report);
  }

  async list(): Promise<JobReport[]> {
    return (await this.listRaw()).map((report) => withLiveness(report));
  }

  async appendEvents(jobId: string, events: readonly StoredJobEvent[]): Promise<void> {
    if (events.length === 0) return;
    await mkdir(this.dir, { recursive: true });
    // One write per batch: lines land whole and in order (one writer per job).
    await appendFile(this.fileFor(jobId, 'events.ndjson'), events.map((stored) => `${JSON.stringify(stored)}\n`).join(''), { mode: 0o600 });
  }

  async readEvents(jobId: string, afterId = 0): Promise<StoredJobEvent[]> {
    if (!JOB_ID.test(jobId)) return [];
    let text: string;
    try {
      text = await readFile(this.fileFor(jobId, 'events.ndjson'), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const events: StoredJobEvent[] = [];
    // The last line may still be being written: only whole lines count.
    for (const line of text.slice(0, text.lastIndexOf('\n') + 1).split('\n')) {
      if (!line) continue;
      try {
        const stored = JSON.parse(line) as StoredJobEvent;
        if (stored.id > afterId) events.push(stored);
      } catch {
        this.logger.warn('skipping an unreadable job event line', { jobId });
      }
    }
    return events;
  }

  async recoverInterrupted(now = new Date()): Promise<JobReport[]> {
    return saveInterrupted(await this.listRaw(), (report) => this.save(report), now);
  }

  async prune(retention: JobRetention, now = new Date()): Promise<string[]> {
    const removed = jobsToPrune(await this.list(), retention, now);
    for (const jobId of removed) {
      await rm(this.fileFor(jobId, 'events.ndjson'), { force: true });
      await rm(this.fileFor(jobId, 'json'), { force: true });
    }
    return removed;
  }

  private async listRaw(): Promise<JobReport[]> {
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

  private fileFor(jobId: string, extension: 'json' | 'events.ndjson'): string {
    if (!JOB_ID.test(jobId)) throw new OctoError('internal', `"${jobId}" is not a valid job id`);
    return path.join(this.dir, `${jobId}.${extension}`);
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
      this.logger.warn('skipping an unreadable job report', { file: path.basename(file) });
      return undefined;
    }
  }
}
