import { z } from 'zod';
import { SECRET_REF_PATTERN } from '../secrets/secret-ref.js';

/** When a webhook is called: at every job's end, only when a job or one of its files failed, or when a provider is late (`failure` hooks are told too). */
export const notifyWhenSchema = z.enum(['end', 'failure', 'late']);

export const webhookSchema = z
  .object({
    /**
     * Where to POST: an `https://` or `http://` URL, or a secret reference to one (`env:NAME`,
     * `file:PATH`), as Slack's incoming-webhook URLs are secrets themselves.
     */
    url: z.string().refine((value) => /^https?:\/\/[^\s]+$/.test(value) || SECRET_REF_PATTERN.test(value), {
      message: 'expected an http(s):// URL, or a secret reference to one such as env:NAME or file:PATH',
    }),
    /** HMAC-SHA256 key the body is signed with (the `Octo-Signature` header), as a secret reference. */
    secret: z.string().regex(SECRET_REF_PATTERN, 'expected a secret reference such as env:NAME or file:PATH, never the secret itself').optional(),
    /** `failure` (default): a job that failed, or ended with failed files, and a late provider; `end`: every job; `late`: a provider whose files did not come by its `expect:` deadline. */
    on: z.array(notifyWhenSchema).min(1).default(['failure']),
    /** `octo`: the JSON body documented in docs/notifications.md; `slack`: a Slack incoming-webhook message. */
    format: z.enum(['octo', 'slack']).default('octo'),
    /** Attempts in all before a delivery is given up (logged and counted; the job is not failed). */
    attempts: z.number().int().min(1).max(10).default(5),
    /** Each attempt's time limit. */
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  })
  .strict();

/** Who is told about jobs: webhooks, global (every provider) or per provider (that provider's jobs). */
export const notifySchema = z
  .object({
    webhooks: z.array(webhookSchema).default([]),
  })
  .strict();

export type WebhookConfig = z.output<typeof webhookSchema>;
export type NotifyConfig = z.output<typeof notifySchema>;
