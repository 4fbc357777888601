import { createOctoApi, type OctoApi } from '../src/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPartnerWorkspace, type TempWorkspace, TEST_ENV, TEST_TOKEN, testPartnerProvider } from '@octo/core/testing';

const auth = { authorization: `Bearer ${TEST_TOKEN}` };
const wrong = { authorization: 'Bearer wrong-token-wrong-token-wrong' };

describe('the API rate limits', () => {
  let setup: TempWorkspace;
  let api: OctoApi;

  const build = (rateLimit: Record<string, number> = {}) =>
    createOctoApi({ loaded: setup.loaded, plugins: [testPartnerProvider], env: TEST_ENV, api: { logLevel: 'silent', rateLimit: { max: 600, authFailures: 20, windowMs: 60_000, ...rateLimit } } });

  beforeEach(async () => {
    setup = await createTestPartnerWorkspace();
  });

  afterEach(async () => {
    await api?.shutdown(0);
    await setup.cleanup();
  });

  /** Status codes of `count` requests, in order, from one address. */
  const burst = async (count: number, headers: Record<string, string>, remoteAddress = '127.0.0.1') => {
    const statuses: number[] = [];
    for (let i = 0; i < count; i += 1) statuses.push((await api.app.inject({ method: 'GET', url: '/v1/jobs', headers, remoteAddress })).statusCode);
    return statuses;
  };

  describe('when one address sends more requests than api.rateLimit.max in a window', () => {
    it('should answer 429 with Retry-After and the documented error shape, and leave other addresses alone', async () => {
      api = await build({ max: 30 });
      expect(await burst(30, auth)).toEqual(Array(30).fill(200));
      const refused = await api.app.inject({ method: 'GET', url: '/v1/jobs', headers: auth });
      expect(refused.statusCode).toBe(429);
      const retryAfter = Number(refused.headers['retry-after']);
      expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
      expect(refused.json()).toEqual({
        statusCode: 429,
        error: 'Too Many Requests',
        message: `too many requests from this address (at most 30 per 60 s); retry in ${retryAfter} s`,
      });
      // Open routes count too: a flood of /healthz is a flood.
      expect((await api.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(429);
      expect(await burst(3, auth, '10.0.0.2')).toEqual([200, 200, 200]);
    });

    it('should let the address in again once the window has passed', async () => {
      api = await build({ max: 5, windowMs: 1000 });
      expect(await burst(6, auth)).toEqual([200, 200, 200, 200, 200, 429]);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect(await burst(1, auth)).toEqual([200]);
    });
  });

  describe('when one address sends a burst of wrong tokens', () => {
    it('should answer 401 for the first api.rateLimit.authFailures of 2,000 and 429 for every other, within seconds', async () => {
      api = await build();
      const started = Date.now();
      const statuses = await burst(2000, wrong);
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
      expect(statuses.slice(20).every((status) => status === 429)).toBe(true);
      expect(statuses.filter((status) => status === 429)).toHaveLength(1980);
    });

    it('should then refuse that address even with the right token, count a missing token as a failure, and leave other addresses alone', async () => {
      api = await build({ authFailures: 3 });
      expect(await burst(2, wrong)).toEqual([401, 401]);
      expect(await burst(1, {})).toEqual([401]);
      const locked = await api.app.inject({ method: 'GET', url: '/v1/jobs', headers: auth });
      expect(locked.statusCode).toBe(429);
      expect(locked.json().message).toMatch(/^too many failed authentications from this address \(at most 3 per 60 s\); every request from it is refused until then; retry in \d+ s$/);
      expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(await burst(1, auth, '10.0.0.3')).toEqual([200]);
      // Successful requests never count as failures.
      expect(await burst(10, auth, '10.0.0.4')).toEqual(Array(10).fill(200));
      expect(await burst(2, wrong, '10.0.0.4')).toEqual([401, 401]);
    });
  });
});
