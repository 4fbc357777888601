import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WebhookConfig } from '../config/notify-schema.js';
import { SIGNATURE_HEADER, signWebhook } from './webhook-signature.js';

/** How a delivery ended. `target` is the URL's origin only: the rest of a webhook URL is often its credential. */
export type DeliveryResult =
  | { readonly ok: true; readonly target: string; readonly attempts: number; readonly status: number }
  | { readonly ok: false; readonly target: string; readonly attempts: number; readonly reason: string };

/** Waits between attempts: the first retry after `baseMs`, doubling to `maxMs`. */
export interface RetryTiming {
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_RETRY_TIMING: RetryTiming = { baseMs: 1_000, maxMs: 30_000 };

/** A Retry-After longer than this is not waited for (the delivery is given up instead of holding the job's end). */
const MAX_RETRY_AFTER_MS = 60_000;

/** One resolved webhook: its URL and signing key in hand (resolved from their secret references). */
export interface ResolvedWebhook {
  readonly url: string;
  readonly secret?: Buffer;
  readonly config: WebhookConfig;
}

/**
 * POSTs `body` to one webhook, retrying what may succeed later (no answer, a timeout, HTTP
 * 408, 425, 429 and 5xx) with exponential backoff and jitter (each wait drawn between half
 * and all of base x 2^n, capped), honouring a short Retry-After. Every attempt carries the same
 * `Octo-Delivery` id, so a receiver can drop a duplicate, and a fresh signature. Redirects are
 * not followed (the body would go to a host nobody configured). Never throws.
 */
export async function deliverWebhook(
  hook: ResolvedWebhook,
  event: string,
  body: string,
  timing: RetryTiming = DEFAULT_RETRY_TIMING,
): Promise<DeliveryResult> {
  const target = originOf(hook.url);
  const delivery = randomUUID();
  let reason = 'not attempted';
  for (let attempt = 1; attempt <= hook.config.attempts; attempt += 1) {
    let retryAfterMs: number | undefined;
    try {
      const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'octo-webhook/1', 'octo-event': event, 'octo-delivery': delivery };
      if (hook.secret) headers[SIGNATURE_HEADER] = signWebhook(hook.secret, body, Math.floor(Date.now() / 1000));
      const response = await fetch(hook.url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(hook.config.timeoutMs) });
      // The body is not needed; reading it frees the connection.
      await response.arrayBuffer().catch(() => undefined);
      if (response.status >= 200 && response.status < 300) return { ok: true, target, attempts: attempt, status: response.status };
      reason = `the receiver answered HTTP ${response.status}`;
      if (response.status >= 300 && response.status < 400) return { ok: false, target, attempts: attempt, reason: `${reason} (a redirect, which is not followed: configure the final URL)` };
      if (!retryable(response.status)) return { ok: false, target, attempts: attempt, reason };
      retryAfterMs = retryAfter(response.headers.get('retry-after'));
    } catch (error) {
      reason = describeFetchError(error, hook.config.timeoutMs);
    }
    if (attempt === hook.config.attempts) break;
    if (retryAfterMs !== undefined && retryAfterMs > MAX_RETRY_AFTER_MS) {
      return { ok: false, target, attempts: attempt, reason: `${reason}, asking to retry after ${Math.round(retryAfterMs / 1000)} s, longer than Octo waits` };
    }
    await sleep(retryAfterMs ?? backoff(attempt, timing));
  }
  return { ok: false, target, attempts: hook.config.attempts, reason };
}

function retryable(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

function backoff(attempt: number, timing: RetryTiming): number {
  const ceiling = Math.min(timing.maxMs, timing.baseMs * 2 ** (attempt - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** Retry-After as seconds or an HTTP date, in milliseconds. */
function retryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code === 'ECONNREFUSED') return 'the connection was refused (nothing listens there)';
  if (cause?.code === 'ENOTFOUND' || cause?.code === 'EAI_AGAIN') return 'the host name does not resolve';
  return cause?.message ?? (error instanceof Error ? error.message : String(error));
}

/** `https://hooks.slack.com/services/T000/B000/XXXX` -> `https://hooks.slack.com`. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'an invalid URL';
  }
}
