import type { LineageConfig } from './lineage-config-schema.js';
import type { JobEvent } from '../ports/job-events.js';
import type { Logger } from '../ports/logger.js';
import type { SecretResolver } from '../secrets/secret-ref.js';
import { lineageEnd, lineageStart, type LineagePlaces, type OpenLineageRunEvent } from './openlineage-event.js';
import { originOf } from '../notify/webhook-delivery.js';

/**
 * POSTs an OpenLineage run event per job start and end to the configured endpoint. One
 * attempt per event, within `timeoutMs`; a failure is logged (the endpoint's origin only) and
 * counted, never thrown: lineage never fails a job. Dry runs are not lineage.
 */
export class LineageEmitter {
  readonly counts = { delivered: 0, failed: 0 };

  constructor(
    private readonly config: LineageConfig,
    private readonly places: (provider: string) => LineagePlaces | undefined,
    private readonly secrets: SecretResolver,
    private readonly logger: Logger,
    private readonly track: <T>(work: Promise<T>) => Promise<T>,
  ) {}

  /** Sees a job's events; sends START at `job.started` and the end at `job.finished` (never for a dry run). */
  onEvent(event: JobEvent, job: { readonly dryRun: boolean }): void {
    if (job.dryRun) return;
    if (event.type === 'job.started') {
      void this.track(this.send(lineageStart(this.config.namespace, event.provider, event.jobId, event.at)));
    } else if (event.type === 'job.finished') {
      const places = this.places(event.summary.provider);
      if (places) void this.track(this.send(lineageEnd(this.config.namespace, event.summary, places)));
    }
  }

  private async send(event: OpenLineageRunEvent): Promise<boolean> {
    try {
      const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'octo-lineage/1' };
      if (this.config.apiKey) headers['authorization'] = `Bearer ${(await this.secrets.resolve(this.config.apiKey)).trim()}`;
      const response = await fetch(this.config.url, { method: 'POST', headers, body: JSON.stringify(event), redirect: 'manual', signal: AbortSignal.timeout(this.config.timeoutMs) });
      await response.arrayBuffer().catch(() => undefined);
      if (response.status < 200 || response.status >= 300) throw new Error(`the endpoint answered HTTP ${response.status}`);
      this.counts.delivered += 1;
      return true;
    } catch (error) {
      this.counts.failed += 1;
      const reason = error instanceof DOMException && error.name === 'TimeoutError' ? `no answer within ${this.config.timeoutMs} ms` : ((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message);
      this.logger.warn(`OpenLineage ${event.eventType} event of ${event.job.name} to ${originOf(this.config.url)} was not delivered: ${reason}; the job's result is unchanged`, { provider: event.job.name, jobId: event.run.runId });
      return false;
    }
  }
}
