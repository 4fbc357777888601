import { describe, expect, it } from 'vitest';
import type { JobReport, JobStore } from '@octo/core';
import { JobStoreMetrics } from './job-store-metrics.js';
import { OctoMetrics } from './octo-metrics.js';

const OLD_KEY = '0A1B2C3D4E5F60718293A4B5C6D7E8F901234567';

/** A finished job's report with these files (only what the feed reads). */
function report(jobId: string, files: JobReport['files']): JobReport {
  const progress = { filesDone: files.length, filesTotal: files.length, percent: 100, bytesDone: 0, bytesTotal: 0 };
  return { jobId, provider: 'acme', status: 'succeeded', dryRun: false, files, progress } as unknown as JobReport;
}

const done = (path: string, retiredKey?: string): JobReport['files'][number] => ({ path, size: 10, status: 'done', outputs: [], durationMs: 4, ...(retiredKey ? { retiredKey } : {}) });

describe(JobStoreMetrics, () => {
  it('should count each file a retired key decrypted, by provider and key, once however often it is scraped', async () => {
    const reports: JobReport[] = [];
    const store = { list: async () => reports } as unknown as JobStore;
    const metrics = new OctoMetrics(['acme'], { processMetrics: false });
    await JobStoreMetrics.start(store, metrics);
    reports.push(report('job-1', [done('a.csv.gpg', OLD_KEY), done('b.csv.gpg'), done('c.csv.gpg', OLD_KEY)]));
    await metrics.render();
    const { body } = await metrics.render();
    expect(body).toContain(`octo_retired_key_decryptions_total{provider="acme",key="${OLD_KEY}"} 2\n`);
    expect(body).toContain('octo_files_ingested_total{provider="acme"} 3\n');
  });
});
