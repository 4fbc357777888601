import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header a signed delivery carries: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const SIGNATURE_HEADER = 'octo-signature';

/** How old a signed delivery may be before a receiver should refuse it (replays). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The `Octo-Signature` value for `body` sent at `timestamp` (unix seconds). */
export function signWebhook(secret: string | Buffer, body: string, timestamp: number): string {
  return `t=${timestamp},v1=${hmac(secret, timestamp, body)}`;
}

/**
 * What a receiver runs: whether `header` is a valid signature of `body` by `secret`, made
 * within `toleranceSeconds` of `now`. The timestamp is inside the signed bytes, so a captured
 * delivery cannot be replayed later with a fresh one.
 */
export function verifyWebhook(
  secret: string | Buffer,
  body: string,
  header: string | undefined,
  options: { now?: number; toleranceSeconds?: number } = {},
): { ok: true } | { ok: false; reason: string } {
  if (!header) return { ok: false, reason: `no ${SIGNATURE_HEADER} header` };
  const fields = new Map(header.split(',').map((part) => part.split('=', 2) as [string, string]));
  const timestamp = Number(fields.get('t'));
  const given = fields.get('v1');
  if (!Number.isInteger(timestamp) || !given) return { ok: false, reason: 'the signature header is malformed' };
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return { ok: false, reason: 'the signature is too old (or from the future)' };
  const expected = Buffer.from(hmac(secret, timestamp, body), 'hex');
  const actual = Buffer.from(given, 'hex');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return { ok: false, reason: 'the signature does not match the body' };
  return { ok: true };
}

function hmac(secret: string | Buffer, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}
