import type { NotifyConfig, WebhookConfig } from '../config/notify-schema.js';
import type { JobSummary } from '../ports/job-events.js';
import type { Logger } from '../ports/logger.js';
import { SECRET_REF_PATTERN, type SecretResolver } from '../secrets/secret-ref.js';
import type { ArrivalStatus } from '../arrival/arrival-status.js';
import { isFailure, jobNotification, slackMessage } from './job-notification.js';
import { lateNotification, lateSlackMessage } from './late-notification.js';
import { DEFAULT_RETRY_TIMING, deliverWebhook, originOf, type DeliveryResult, type RetryTiming } from './webhook-delivery.js';

/** Deliveries so far, for metrics. */
export interface NotifierCounts {
  delivered: number;
  failed: number;
}

/**
 * Tells the configured webhooks about finished jobs: the global ones about every provider's
 * jobs, a provider's own about its jobs. A delivery that finally fails is logged (with the
 * URL's origin only) and counted, and never changes the job's result. `settled()` waits for
 * the deliveries in flight, so a CLI run does not exit before its webhooks were called.
 */
export class JobNotifier {
  readonly counts: NotifierCounts = { delivered: 0, failed: 0 };
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly config: { readonly notify?: NotifyConfig; readonly providers: Readonly<Record<string, { readonly notify?: NotifyConfig }>> },
    private readonly secrets: SecretResolver,
    private readonly logger: Logger,
    private readonly timing: RetryTiming = DEFAULT_RETRY_TIMING,
  ) {}

  /** Starts the deliveries for a finished job (dry runs are not announced); returns them. */
  jobFinished(summary: JobSummary): Promise<DeliveryResult[]> {
    if (summary.dryRun) return Promise.resolve([]);
    const hooks = [...(this.config.notify?.webhooks ?? []), ...(this.config.providers[summary.provider]?.notify?.webhooks ?? [])].filter((hook) =>
      hook.on.includes('end') || (hook.on.includes('failure') && isFailure(summary)),
    );
    if (hooks.length === 0) return Promise.resolve([]);
    const notification = jobNotification(summary);
    const run = Promise.all(hooks.map((hook) => this.deliver(hook, notification.event, hook.format === 'slack' ? slackMessage(notification) : notification, summary)));
    this.pending.add(run);
    void run.finally(() => this.pending.delete(run));
    return run;
  }

  /**
   * Starts the `provider.late` deliveries for a provider whose files did not come by their
   * deadline: to the hooks (global and the provider's) with `late` or `failure` in `on`.
   */
  providerLate(status: ArrivalStatus): Promise<DeliveryResult[]> {
    const hooks = [...(this.config.notify?.webhooks ?? []), ...(this.config.providers[status.provider]?.notify?.webhooks ?? [])].filter((hook) => hook.on.includes('late') || hook.on.includes('failure'));
    if (hooks.length === 0) return Promise.resolve([]);
    const notification = lateNotification(status);
    return this.track(Promise.all(hooks.map((hook) => this.deliver(hook, notification.event, hook.format === 'slack' ? lateSlackMessage(notification) : notification, { provider: status.provider }))));
  }

  /** Counts `work` among what {@link settled} waits for (an arrival check that may end in a delivery). */
  track<T>(work: Promise<T>): Promise<T> {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work)).catch(() => undefined);
    return work;
  }

  /** Resolves when every delivery started so far has ended (delivered or given up). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private async deliver(hook: WebhookConfig, event: string, payload: unknown, summary: { readonly provider: string; readonly jobId?: string }): Promise<DeliveryResult> {
    let result: DeliveryResult;
    try {
      const url = SECRET_REF_PATTERN.test(hook.url) ? (await this.secrets.resolve(hook.url)).trim() : hook.url;
      const secret = hook.secret ? await this.secrets.resolveBytes(hook.secret) : undefined;
      if (!/^https?:\/\//.test(url)) {
        result = { ok: false, target: 'an invalid URL', attempts: 0, reason: `the webhook URL in ${hook.url} is not an http(s):// URL` };
      } else {
        result = await deliverWebhook({ url, ...(secret ? { secret } : {}), config: hook }, event, JSON.stringify(payload), this.timing);
      }
    } catch (error) {
      // A secret that is not set: the message names the reference, never a value.
      result = { ok: false, target: SECRET_REF_PATTERN.test(hook.url) ? hook.url : originOf(hook.url), attempts: 0, reason: error instanceof Error ? error.message : String(error) };
    }
    if (result.ok) {
      this.counts.delivered += 1;
      this.logger.debug('webhook delivered', { provider: summary.provider, jobId: summary.jobId, target: result.target, attempts: result.attempts });
    } else {
      this.counts.failed += 1;
      this.logger.warn(`webhook delivery to ${result.target} failed after ${result.attempts} attempt(s): ${result.reason}; the job's result is unchanged`, {
        provider: summary.provider,
        jobId: summary.jobId,
        target: result.target,
      });
    }
    return result;
  }
}
