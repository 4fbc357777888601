import type { FastifyRequest } from 'fastify';
import type { BearerTokens } from './bearer-tokens.js';
import { SESSION_COOKIE, SessionStore, type ConsoleSession } from './session-store.js';

/** The header a cookie-authenticated state-changing request must carry, with the session's CSRF token. */
export const CSRF_HEADER = 'x-octo-csrf';

/** How a request proved who it is, or why it did not. */
export type RequestAccess =
  | { readonly granted: true; readonly via: 'bearer' }
  | { readonly granted: true; readonly via: 'session'; readonly session: ConsoleSession; readonly sessionId: string; readonly csrfRefusal?: string }
  | { readonly granted: false; readonly reason: 'no token' | 'wrong token' | 'ended session'; readonly message: string };

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Decides a request's access: a bearer token when an `Authorization` header is sent (it is then
 * the only thing checked), else the console's session cookie. A cookie-authenticated request
 * that changes state must also be same-origin and carry the session's CSRF token: a browser
 * sends the cookie on a cross-site form post too (where SameSite is not honoured), but no other
 * site can set that header or read the token.
 */
export function requestAccess(request: FastifyRequest, tokens: BearerTokens, sessions: SessionStore): RequestAccess {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    if (tokens.verify(authorization)) return { granted: true, via: 'bearer' };
    return { granted: false, reason: 'wrong token', message: 'a valid bearer token is required: send Authorization: Bearer <token>' };
  }
  const sessionId = request.cookies?.[SESSION_COOKIE];
  if (sessionId === undefined) {
    return { granted: false, reason: 'no token', message: 'a valid bearer token is required: send Authorization: Bearer <token>' };
  }
  const session = sessions.get(sessionId);
  if (!session) {
    return { granted: false, reason: 'ended session', message: 'the console session has ended (expired, signed out, or the server restarted): sign in again with the API token' };
  }
  if (SAFE_METHODS.has(request.method)) return { granted: true, via: 'session', session, sessionId };
  const foreign = foreignOrigin(request);
  if (foreign) return { granted: true, via: 'session', session, sessionId, csrfRefusal: foreign };
  const header = request.headers[CSRF_HEADER];
  if (!SessionStore.csrfMatches(session, Array.isArray(header) ? header[0] : header)) {
    return { granted: true, via: 'session', session, sessionId, csrfRefusal: `a request signed in by the console's cookie that changes something must send the ${CSRF_HEADER} header with the session's CSRF token (from POST or GET /v1/session)` };
  }
  return { granted: true, via: 'session', session, sessionId };
}

/**
 * Why a request comes from another site, or undefined when it is same-origin: `Origin` (sent by
 * browsers on every POST and DELETE) must name this server's host, and `Sec-Fetch-Site`, when
 * sent, must say same-origin. Compared by host, so a TLS proxy in front changes nothing.
 */
export function foreignOrigin(request: FastifyRequest): string | undefined {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return `cross-site request refused (Sec-Fetch-Site: ${String(site)}): the console's actions are accepted from its own pages only`;
  }
  const origin = request.headers.origin;
  if (origin === undefined) return undefined;
  let host: string | undefined;
  try {
    host = origin === 'null' ? undefined : new URL(origin).host;
  } catch {
    host = undefined;
  }
  if (host === undefined || host !== request.headers.host) {
    return `cross-origin request refused (Origin ${origin.slice(0, 100)} is not this server): the console's actions are accepted from its own pages only`;
  }
  return undefined;
}
