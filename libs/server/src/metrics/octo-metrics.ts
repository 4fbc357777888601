import { PIPELINE_STAGES, type JobStatus, type OctoErrorKind, type StageTimings } from '@octo/core';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The API's Prometheus metrics, all labelled by provider and named the Prometheus way (the unit
 * last): files and bytes ingested, failures by kind, how long files take, jobs running, jobs
 * ended by status, the last successful sync; and the standard process metrics.
 * Each instance has its own registry, so several APIs in one process (tests) do not clash.
 */
export class OctoMetrics {
  readonly registry = new Registry();
  private readonly filesIngested: Counter<'provider'>;
  private readonly bytesIn: Counter<'provider'>;
  private readonly bytesOut: Counter<'provider'>;
  private readonly failures: Counter<'provider' | 'kind'>;
  private readonly fileDuration: Histogram<'provider' | 'outcome'>;
  private readonly fileSize: Histogram<'provider' | 'outcome'>;
  private readonly stageSeconds: Counter<'provider' | 'stage'>;
  private readonly jobsRunning: Gauge<'provider'>;
  private readonly jobsEnded: Counter<'provider' | 'status'>;
  private readonly pollsFoundNothing: Counter<'provider'>;
  private refresh: () => Promise<void> = async () => undefined;
  private readonly lastSuccess: Gauge<'provider'>;
  private readonly webhookDeliveries: Counter<'result'>;
  private readonly retiredKeyDecryptions: Counter<'provider' | 'key'>;
  private webhookCounts: () => { delivered: number; failed: number } = () => ({ delivered: 0, failed: 0 });
  private readonly webhookSeen = { delivered: 0, failed: 0 };

  constructor(providers: readonly string[], options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.filesIngested = new Counter({ name: 'octo_files_ingested_total', help: 'Source files ingested (outputs landed, ledger written)', labelNames: ['provider'], registers });
    this.bytesIn = new Counter({ name: 'octo_ingested_source_bytes_total', help: 'Bytes of source files ingested, as read from the drop', labelNames: ['provider'], registers });
    this.bytesOut = new Counter({ name: 'octo_landed_output_bytes_total', help: 'Bytes landed in the store (after decryption and unpacking)', labelNames: ['provider'], registers });
    this.failures = new Counter({ name: 'octo_file_failures_total', help: 'Source files that failed, by error kind', labelNames: ['provider', 'kind'], registers });
    this.fileDuration = new Histogram({
      name: 'octo_file_duration_seconds',
      help: 'Time to process one source file, by outcome (done or failed)',
      labelNames: ['provider', 'outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
      registers,
    });
    this.fileSize = new Histogram({
      name: 'octo_file_size_bytes',
      help: 'Size of each source file processed, as listed in the drop, by outcome (done or failed)',
      labelNames: ['provider', 'outcome'],
      // 1 KiB to 16 GiB, by fours.
      buckets: Array.from({ length: 13 }, (_, i) => 1024 * 4 ** i),
      registers,
    });
    this.stageSeconds = new Counter({
      name: 'octo_stage_seconds_total',
      help: 'Time source files spent in each pipeline stage (read, decrypt, unpack, transform, store, commit), added up; stages overlap, as they stream together',
      labelNames: ['provider', 'stage'],
      registers,
    });
    this.jobsRunning = new Gauge({ name: 'octo_jobs_running', help: 'Jobs running now', labelNames: ['provider'], registers });
    this.jobsEnded = new Counter({ name: 'octo_jobs_total', help: 'Jobs that ended, by final status', labelNames: ['provider', 'status'], registers });
    this.pollsFoundNothing = new Counter({ name: 'octo_polls_found_nothing_total', help: 'Jobs that listed the drop and found nothing new to ingest', labelNames: ['provider'], registers });
    // A timestamp gauge, so an alert can say "no successful sync for a day": time() - this > 86400.
    this.lastSuccess = new Gauge({
      name: 'octo_last_successful_sync_timestamp_seconds',
      help: 'When the last job of the provider ended with every file ingested (or nothing to do), in Unix seconds',
      labelNames: ['provider'],
      registers,
    });
    this.webhookDeliveries = new Counter({
      name: 'octo_webhook_deliveries_total',
      help: 'Webhook deliveries of job notifications, by result (delivered, or failed after every attempt)',
      labelNames: ['result'],
      registers,
      // Counted by the notifier; brought up to date at each scrape.
      collect: () => {
        const now = this.webhookCounts();
        for (const result of ['delivered', 'failed'] as const) {
          if (now[result] > this.webhookSeen[result]) this.webhookDeliveries.inc({ result }, now[result] - this.webhookSeen[result]);
          this.webhookSeen[result] = now[result];
        }
      },
    });
    this.retiredKeyDecryptions = new Counter({
      name: 'octo_retired_key_decryptions_total',
      help: 'Source files decrypted by a private key past its retiresAt date, by provider and key fingerprint: the partner still encrypts to the old key',
      labelNames: ['provider', 'key'],
      registers,
    });
    this.webhookDeliveries.inc({ result: 'delivered' }, 0);
    this.webhookDeliveries.inc({ result: 'failed' }, 0);
    // Every configured provider shows up at zero, so a dashboard sees it before its first job.
    for (const provider of providers) {
      this.filesIngested.inc({ provider }, 0);
      this.bytesIn.inc({ provider }, 0);
      this.bytesOut.inc({ provider }, 0);
      this.jobsRunning.set({ provider }, 0);
      this.pollsFoundNothing.inc({ provider }, 0);
      for (const stage of PIPELINE_STAGES) this.stageSeconds.inc({ provider, stage }, 0);
    }
    // Unprefixed, so the standard dashboards find process_cpu_seconds_total, nodejs_heap_size_used_bytes, ...
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** `count` jobs of `provider` are running now, in any process. */
  setJobsRunning(provider: string, count: number): void {
    this.jobsRunning.set({ provider }, count);
  }

  /** Where webhook deliveries are counted (the runtime's notifier). */
  countWebhooks(counts: () => { delivered: number; failed: number }): void {
    this.webhookCounts = counts;
  }

  /** Runs `refresh` before every {@link render}, so what it counts is current when scraped. */
  onScrape(refresh: () => Promise<void>): void {
    this.refresh = refresh;
  }

  /** A source file of `provider` was ingested: `bytesIn` read from the drop, `bytesOut` landed, its time per stage. */
  fileDone(provider: string, bytesIn: number, bytesOut: number, durationMs: number, stages?: StageTimings): void {
    this.filesIngested.inc({ provider });
    this.bytesIn.inc({ provider }, bytesIn);
    this.bytesOut.inc({ provider }, bytesOut);
    this.fileDuration.observe({ provider, outcome: 'done' }, durationMs / 1000);
    this.fileSize.observe({ provider, outcome: 'done' }, bytesIn);
    this.addStages(provider, stages);
  }

  /** A source file of `provider` was decrypted by `key` (a fingerprint), a key past its retiresAt date. */
  retiredKeyUsed(provider: string, key: string): void {
    this.retiredKeyDecryptions.inc({ provider, key });
  }

  /** A source file of `provider` (`size` bytes in the drop) failed, after `stages`. */
  fileFailed(provider: string, kind: OctoErrorKind, durationMs: number, size?: number, stages?: StageTimings): void {
    this.failures.inc({ provider, kind });
    this.fileDuration.observe({ provider, outcome: 'failed' }, durationMs / 1000);
    if (size !== undefined) this.fileSize.observe({ provider, outcome: 'failed' }, size);
    this.addStages(provider, stages);
  }

  private addStages(provider: string, stages: StageTimings | undefined): void {
    for (const stage of PIPELINE_STAGES) {
      const timing = stages?.[stage];
      if (timing) this.stageSeconds.inc({ provider, stage }, timing.ms / 1000);
    }
  }

  /** A job of `provider` ended with `status`. */
  jobEnded(provider: string, status: JobStatus, at = new Date()): void {
    this.jobsEnded.inc({ provider, status });
    if (status === 'succeeded') this.lastSuccess.set({ provider }, at.getTime() / 1000);
  }

  /** A job of `provider` listed its drop and found nothing new. */
  pollFoundNothing(provider: string): void {
    this.pollsFoundNothing.inc({ provider });
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    await this.refresh();
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
