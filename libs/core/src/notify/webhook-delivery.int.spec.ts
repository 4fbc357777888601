import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { webhookSchema } from '../config/notify-schema.js';
import { startWebhookReceiver, type WebhookReceiver } from '../testing/webhook-receiver.js';
import { deliverWebhook } from './webhook-delivery.js';
import { verifyWebhook } from './webhook-signature.js';

// Against a real HTTP server on loopback; waits are shortened, the policy is the real one.
const FAST = { baseMs: 20, maxMs: 100 };
const hook = (url: string, overrides: Record<string, unknown> = {}) => ({ url, secret: Buffer.from('hook secret'), config: webhookSchema.parse({ url, ...overrides }) });
const body = JSON.stringify({ event: 'job.failed', provider: 'acme-bank' });

describe('deliverWebhook', () => {
  let receiver: WebhookReceiver | undefined;
  let silent: Server | undefined;
  afterEach(async () => {
    await receiver?.stop();
    receiver = undefined;
    silent?.close();
    silent = undefined;
  });

  it('should POST the body signed, and retry 5xx and 429 with the same delivery id until it is taken', async () => {
    receiver = await startWebhookReceiver([500, 503, 429]);
    const result = await deliverWebhook(hook(receiver.url), 'job.failed', body, FAST);
    expect(result).toEqual({ ok: true, target: new URL(receiver.url).origin, attempts: 4, status: 200 });
    expect(receiver.received).toHaveLength(4);
    const ids = new Set(receiver.received.map((request) => request.headers['octo-delivery']));
    expect(ids.size).toBe(1);
    for (const request of receiver.received) {
      expect(request.body).toBe(body);
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['octo-event']).toBe('job.failed');
      expect(verifyWebhook('hook secret', request.body, request.headers['octo-signature'] as string)).toEqual({ ok: true });
    }
  });

  it('should give up after the configured attempts, saying what the receiver answered last', async () => {
    receiver = await startWebhookReceiver([500, 500, 502]);
    const result = await deliverWebhook(hook(receiver.url, { attempts: 3 }), 'job.failed', body, FAST);
    expect(result).toEqual({ ok: false, target: new URL(receiver.url).origin, attempts: 3, reason: 'the receiver answered HTTP 502' });
    expect(receiver.received).toHaveLength(3);
  });

  it('should not retry a refusal (4xx other than 408, 425, 429)', async () => {
    receiver = await startWebhookReceiver([401]);
    const result = await deliverWebhook(hook(receiver.url), 'job.failed', body, FAST);
    expect(result).toMatchObject({ ok: false, attempts: 1, reason: 'the receiver answered HTTP 401' });
    expect(receiver.received).toHaveLength(1);
  });

  it('should not follow a redirect', async () => {
    receiver = await startWebhookReceiver([[302, { location: 'http://127.0.0.1:1/elsewhere' }]]);
    const result = await deliverWebhook(hook(receiver.url), 'job.failed', body, FAST);
    expect(result).toMatchObject({ ok: false, attempts: 1, reason: 'the receiver answered HTTP 302 (a redirect, which is not followed: configure the final URL)' });
  });

  it('should honour a short Retry-After and give up on a long one', async () => {
    receiver = await startWebhookReceiver([[503, { 'retry-after': '0' }], [429, { 'retry-after': '3600' }]]);
    const result = await deliverWebhook(hook(receiver.url), 'job.failed', body, FAST);
    expect(result).toMatchObject({ ok: false, attempts: 2, reason: 'the receiver answered HTTP 429, asking to retry after 3600 s, longer than Octo waits' });
  });

  it('should say when nothing listens, after every attempt', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const result = await deliverWebhook(hook(`http://127.0.0.1:${closed}/x`, { attempts: 2 }), 'job.failed', body, FAST);
    expect(result).toEqual({ ok: false, target: `http://127.0.0.1:${closed}`, attempts: 2, reason: 'the connection was refused (nothing listens there)' });
  });

  it('should time out a receiver that never answers', async () => {
    silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent!.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const result = await deliverWebhook(hook(`http://127.0.0.1:${port}/x`, { attempts: 1, timeoutMs: 300 }), 'job.failed', body, FAST);
    expect(result).toEqual({ ok: false, target: `http://127.0.0.1:${port}`, attempts: 1, reason: 'no answer within 300 ms' });
  });
});
