import { createOctoApi, type OctoApi } from '../src/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestPartnerWorkspace, type TempWorkspace, TEST_ENV, TEST_TOKEN, testPartnerProvider } from '@octo/core/testing';

const HOST = '127.0.0.1:8080';
const SAME_ORIGIN = { host: HOST, origin: `http://${HOST}` };

/** The value of the octo_session cookie a Set-Cookie header sets, and its attributes. */
function parseSetCookie(header: string | string[] | undefined): { value: string; attributes: string[] } {
  const line = [header ?? []].flat().find((cookie) => cookie.startsWith('octo_session='));
  if (!line) throw new Error(`no octo_session cookie in ${JSON.stringify(header)}`);
  const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
  return { value: pair.slice('octo_session='.length), attributes };
}

describe('console sessions (POST, GET, DELETE /v1/session)', () => {
  let setup: TempWorkspace;
  let api: OctoApi;

  const build = async (api_: Record<string, unknown> = {}) => {
    api = await createOctoApi({ loaded: setup.loaded, plugins: [testPartnerProvider], env: TEST_ENV, api: { logLevel: 'silent', ...api_ } });
    return api;
  };
  const signIn = async (headers: Record<string, string> = SAME_ORIGIN) => {
    const answer = await api.app.inject({ method: 'POST', url: '/v1/session', headers, payload: { token: TEST_TOKEN } });
    expect(answer.statusCode).toBe(201);
    return { cookie: parseSetCookie(answer.headers['set-cookie']), body: answer.json() as { csrfToken: string; expiresAt: string } };
  };

  beforeEach(async () => {
    setup = await createTestPartnerWorkspace();
  });

  afterEach(async () => {
    await api?.shutdown(0);
    await setup.cleanup();
  });

  describe('when the right token is posted', () => {
    it('should set an HttpOnly, SameSite=Strict cookie with a random id that is not the token, and answer the CSRF token and expiry', async () => {
      await build({ session: { ttlMs: 3_600_000 } });
      const before = Date.now();
      const { cookie, body } = await signIn();
      expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(cookie.value).not.toContain(TEST_TOKEN);
      expect(cookie.attributes).toEqual(expect.arrayContaining(['Max-Age=3600', 'Path=/', 'HttpOnly', 'SameSite=Strict']));
      expect(cookie.attributes).not.toContain('Secure');
      expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Date.parse(body.expiresAt) - before).toBeGreaterThanOrEqual(3_600_000 - 1000);
      expect(Date.parse(body.expiresAt) - before).toBeLessThanOrEqual(3_600_000 + 1000);
      const second = await signIn();
      expect(second.cookie.value).not.toBe(cookie.value);
      expect(second.body.csrfToken).not.toBe(body.csrfToken);
    });

    it('should mark the cookie Secure when the request came over TLS (a proxy in front says so)', async () => {
      await build();
      const { cookie } = await signIn({ ...SAME_ORIGIN, 'x-forwarded-proto': 'https' });
      expect(cookie.attributes).toContain('Secure');
    });
  });

  describe('when signed in with the cookie', () => {
    it('should accept GET requests with the cookie alone and give the CSRF token back', async () => {
      await build();
      const { cookie, body } = await signIn();
      const jobs = await api.app.inject({ method: 'GET', url: '/v1/jobs', headers: { host: HOST }, cookies: { octo_session: cookie.value } });
      expect(jobs.statusCode).toBe(200);
      expect(jobs.json().total).toBe(0);
      const session = await api.app.inject({ method: 'GET', url: '/v1/session', headers: { host: HOST }, cookies: { octo_session: cookie.value } });
      expect(session.json()).toEqual({ via: 'session', expiresAt: body.expiresAt, csrfToken: body.csrfToken });
    });

    it('should refuse a state-changing request without the CSRF header, with a wrong one, or from a foreign origin, and accept it with both right', async () => {
      await build();
      const { cookie, body } = await signIn();
      const start = (headers: Record<string, string>) => api.app.inject({ method: 'POST', url: '/v1/providers/example/jobs', headers: { host: HOST, ...headers }, cookies: { octo_session: cookie.value } });
      const noHeader = await start({ origin: `http://${HOST}` });
      expect(noHeader.statusCode).toBe(403);
      expect(noHeader.json()).toEqual({
        statusCode: 403,
        error: 'Forbidden',
        message: "a request signed in by the console's cookie that changes something must send the x-octo-csrf header with the session's CSRF token (from POST or GET /v1/session)",
      });
      expect((await start({ origin: `http://${HOST}`, 'x-octo-csrf': `${body.csrfToken}x` })).statusCode).toBe(403);
      const foreign = await start({ origin: 'http://evil.example', 'x-octo-csrf': body.csrfToken });
      expect(foreign.statusCode).toBe(403);
      expect(foreign.json().message).toBe("cross-origin request refused (Origin http://evil.example is not this server): the console's actions are accepted from its own pages only");
      const crossSite = await start({ 'sec-fetch-site': 'cross-site', 'x-octo-csrf': body.csrfToken });
      expect(crossSite.statusCode).toBe(403);
      expect(crossSite.json().message).toMatch(/^cross-site request refused \(Sec-Fetch-Site: cross-site\)/);
      // Nothing was started by the refused requests.
      expect((await api.app.inject({ method: 'GET', url: '/v1/jobs', headers: { authorization: `Bearer ${TEST_TOKEN}` } })).json().total).toBe(0);
      const accepted = await start({ origin: `http://${HOST}`, 'sec-fetch-site': 'same-origin', 'x-octo-csrf': body.csrfToken });
      expect(accepted.statusCode).toBe(202);
      expect(accepted.json().provider).toBe('example');
      await api.jobs.drain(10_000);
    });

    it('should not need the CSRF header for a bearer token', async () => {
      await build();
      const answer = await api.app.inject({ method: 'POST', url: '/v1/providers/example/jobs', headers: { authorization: `Bearer ${TEST_TOKEN}` }, payload: { dryRun: true } });
      expect(answer.statusCode).toBe(202);
      await api.jobs.drain(10_000);
    });
  });

  describe('when the session is ended', () => {
    it('should refuse the cookie after sign-out, clear it, and leave other sessions signed in', async () => {
      await build();
      const first = await signIn();
      const other = await signIn();
      const withCookie = (value: string) => ({ headers: { host: HOST }, cookies: { octo_session: value } });
      const noCsrf = await api.app.inject({ method: 'DELETE', url: '/v1/session', ...withCookie(first.cookie.value), headers: SAME_ORIGIN });
      expect(noCsrf.statusCode).toBe(403);
      expect((await api.app.inject({ method: 'GET', url: '/v1/jobs', ...withCookie(first.cookie.value) })).statusCode).toBe(200);
      const out = await api.app.inject({ method: 'DELETE', url: '/v1/session', cookies: { octo_session: first.cookie.value }, headers: { ...SAME_ORIGIN, 'x-octo-csrf': first.body.csrfToken } });
      expect(out.statusCode).toBe(204);
      const cleared = [out.headers['set-cookie']].flat().find((line) => line?.startsWith('octo_session='));
      expect(cleared).toMatch(/^octo_session=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Strict$/);
      const refused = await api.app.inject({ method: 'GET', url: '/v1/jobs', ...withCookie(first.cookie.value) });
      expect(refused.statusCode).toBe(401);
      expect(refused.json().message).toBe('the console session has ended (expired, signed out, or the server restarted): sign in again with the API token');
      expect((await api.app.inject({ method: 'GET', url: '/v1/jobs', ...withCookie(other.cookie.value) })).statusCode).toBe(200);
      expect(api.sessions.size).toBe(1);
    });

    it('should refuse a session whose api.session.ttlMs has passed', async () => {
      await build({ session: { ttlMs: 1000 } });
      const { cookie } = await signIn();
      const get = () => api.app.inject({ method: 'GET', url: '/v1/jobs', headers: { host: HOST }, cookies: { octo_session: cookie.value } });
      expect((await get()).statusCode).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const refused = await get();
      expect(refused.statusCode).toBe(401);
      expect(refused.json().message).toMatch(/^the console session has ended/);
      expect(api.sessions.size).toBe(0);
    });

    it('should refuse a made-up session id', async () => {
      await build();
      const answer = await api.app.inject({ method: 'GET', url: '/v1/jobs', cookies: { octo_session: 'A'.repeat(43) } });
      expect(answer.statusCode).toBe(401);
    });
  });

  describe('when sign-in is refused', () => {
    it('should answer 401 for a wrong token, set no cookie, and count it against api.rateLimit.authFailures', async () => {
      await build({ rateLimit: { max: 600, authFailures: 3, windowMs: 60_000 } });
      const wrong = () => api.app.inject({ method: 'POST', url: '/v1/session', headers: SAME_ORIGIN, payload: { token: 'not-the-token-not-the-token' } });
      const first = await wrong();
      expect(first.statusCode).toBe(401);
      expect(first.json().message).toBe('that is not an API token this server accepts: paste one of the tokens from api.tokens');
      expect(first.headers['set-cookie']).toBeUndefined();
      expect((await wrong()).statusCode).toBe(401);
      expect((await wrong()).statusCode).toBe(401);
      // Used up: even the right token is refused from this address until the window ends.
      const locked = await api.app.inject({ method: 'POST', url: '/v1/session', headers: SAME_ORIGIN, payload: { token: TEST_TOKEN } });
      expect(locked.statusCode).toBe(429);
      expect(locked.json().message).toMatch(/^too many failed authentications from this address/);
      expect(locked.headers['set-cookie']).toBeUndefined();
    });

    it('should refuse a sign-in posted from another origin (login CSRF) and a body that is not {token}', async () => {
      await build();
      const foreign = await api.app.inject({ method: 'POST', url: '/v1/session', headers: { host: HOST, origin: 'http://evil.example' }, payload: { token: TEST_TOKEN } });
      expect(foreign.statusCode).toBe(403);
      expect(foreign.headers['set-cookie']).toBeUndefined();
      const extra = await api.app.inject({ method: 'POST', url: '/v1/session', headers: SAME_ORIGIN, payload: { token: TEST_TOKEN, admin: true } });
      expect(extra.statusCode).toBe(400);
      expect(api.sessions.size).toBe(0);
    });
  });
});
