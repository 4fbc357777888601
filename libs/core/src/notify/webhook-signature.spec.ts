import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook } from './webhook-signature.js';

describe('webhook signatures', () => {
  const body = '{"event":"job.failed"}';
  const now = 1_800_000_000;

  it('should sign the timestamp and the body with HMAC-SHA256, as a receiver can recompute', () => {
    // openssl dgst -sha256 -hmac s3cret <<< -n "1800000000.{...}" gives the same hex.
    expect(signWebhook('s3cret', body, now)).toBe('t=1800000000,v1=' + createHmac('sha256', 's3cret').update(`1800000000.${body}`).digest('hex'));
  });

  it('should verify its own signature', () => {
    expect(verifyWebhook('s3cret', body, signWebhook('s3cret', body, now), { now })).toEqual({ ok: true });
  });

  it.each([
    ['a changed body', 's3cret', `${body} `, now, 'the signature does not match the body'],
    ['another secret', 'other', body, now, 'the signature does not match the body'],
    ['a replay ten minutes later', 's3cret', body, now + 600, 'the signature is too old (or from the future)'],
  ])('should refuse %s', (_case, secret, received, at, reason) => {
    expect(verifyWebhook(secret, received, signWebhook('s3cret', body, now), { now: at })).toEqual({ ok: false, reason });
  });

  it('should refuse a missing or malformed header', () => {
    expect(verifyWebhook('s3cret', body, undefined)).toEqual({ ok: false, reason: 'no octo-signature header' });
    expect(verifyWebhook('s3cret', body, 'v1=abc', { now })).toEqual({ ok: false, reason: 'the signature header is malformed' });
    expect(verifyWebhook('s3cret', body, `t=${now},v1=zz`, { now })).toEqual({ ok: false, reason: 'the signature does not match the body' });
  });
});
