import { describe, expect, it } from 'vitest';
import { notifySchema } from './notify-schema.js';

describe('notifySchema', () => {
  it('should default a webhook to failures only, the octo body, 5 attempts of 10 s', () => {
    expect(notifySchema.parse({ webhooks: [{ url: 'https://ops.example.com/hook' }] }).webhooks[0]).toEqual({
      url: 'https://ops.example.com/hook',
      on: ['failure'],
      format: 'octo',
      attempts: 5,
      timeoutMs: 10_000,
    });
  });

  it('should take a secret reference for the URL itself', () => {
    expect(notifySchema.parse({ webhooks: [{ url: 'env:SLACK_URL', format: 'slack' }] }).webhooks[0]?.url).toBe('env:SLACK_URL');
  });

  it.each([
    [{ url: 'ftp://x/y' }, 'webhooks.0.url: expected an http(s):// URL, or a secret reference to one such as env:NAME or file:PATH'],
    [{ url: 'https://x/y', secret: 'hunter2' }, 'webhooks.0.secret: expected a secret reference such as env:NAME or file:PATH, never the secret itself'],
    [{ url: 'https://x/y', on: ['late', 'start'] }, 'webhooks.0.on.1: Invalid option: expected one of "end"|"failure"|"late"'],
  ])('should refuse %j with a message naming the field', (hook, message) => {
    const result = notifySchema.safeParse({ webhooks: [hook] });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)).toEqual([message]);
  });
});
