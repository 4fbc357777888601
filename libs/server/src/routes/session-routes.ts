import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { BearerTokens } from '../auth/bearer-tokens.js';
import { foreignOrigin, requestAccess } from '../auth/request-access.js';
import { SESSION_COOKIE, type SessionStore } from '../auth/session-store.js';
import type { AuthFailureLimit } from '../http/rate-limits.js';
import { errorSchema } from '../http/schemas.js';
import type { ZodTypeProvider } from '../http/zod-type-provider.js';

const signInBodySchema = z.strictObject({ token: z.string().min(1, 'send the API token').max(4096) });

/** A console session as its owner sees it: when it ends, and the token its actions must send. */
export const sessionSchema = z.object({
  via: z.enum(['session', 'bearer']).describe('How this request was authenticated'),
  expiresAt: z.string().nullable().describe('ISO time the session ends; null for a bearer token'),
  csrfToken: z.string().nullable().describe('Send it as X-Octo-CSRF on every POST and DELETE made with the session cookie; null for a bearer token'),
});

export type SessionView = z.output<typeof sessionSchema>;

/**
 * POST /v1/session (sign in with the API token, get the session cookie), GET /v1/session
 * (who am I, and the CSRF token again after a reload), DELETE /v1/session (sign out).
 */
export function registerSessionRoutes(app: FastifyInstance, deps: { tokens: BearerTokens; sessions: SessionStore; authFailures: AuthFailureLimit }): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const { tokens, sessions, authFailures } = deps;

  routes.post(
    '/v1/session',
    {
      // Open like sign-in must be; the failed-authentication limit below still counts every wrong token.
      config: { public: true },
      schema: {
        tags: ['session'],
        summary: 'Sign in to the console: exchange the API token for a session cookie',
        description:
          'Sets an HttpOnly, SameSite=Strict cookie (Secure over TLS) holding a random session id, never the token; the server keeps the session until `api.session.ttlMs` has passed or it is ended. A wrong token counts against `api.rateLimit.authFailures` like any 401. Refused (403) from another origin.',
        security: [],
        body: signInBodySchema,
        response: { 201: sessionSchema, 400: errorSchema, 401: errorSchema, 403: errorSchema, 415: errorSchema },
      },
    },
    async (request, reply) => {
      if (await authFailures.refuseIfLocked(request, reply)) return reply;
      const foreign = foreignOrigin(request);
      if (foreign) return reply.code(403).send({ statusCode: 403, error: 'Forbidden', message: foreign });
      if (!tokens.verify(`Bearer ${request.body.token}`)) {
        await authFailures.recordFailure(request);
        request.log.warn({ reason: 'wrong token' }, 'sign-in refused');
        return reply.code(401).send({ statusCode: 401, error: 'Unauthorized', message: 'that is not an API token this server accepts: paste one of the tokens from api.tokens' });
      }
      const { id, session } = sessions.create();
      reply.setCookie(SESSION_COOKIE, id, { path: '/', httpOnly: true, sameSite: 'strict', secure: overTls(request), maxAge: Math.floor((session.expiresAt - session.createdAt) / 1000) });
      return reply.code(201).send({ via: 'session' as const, expiresAt: new Date(session.expiresAt).toISOString(), csrfToken: session.csrfToken });
    },
  );

  routes.get(
    '/v1/session',
    { schema: { tags: ['session'], summary: 'The session this request is signed in with, and its CSRF token', response: { 200: sessionSchema, 401: errorSchema } } },
    async (request) => {
      const access = requestAccess(request, tokens, sessions);
      if (access.granted && access.via === 'session') return { via: 'session' as const, expiresAt: new Date(access.session.expiresAt).toISOString(), csrfToken: access.session.csrfToken };
      return { via: 'bearer' as const, expiresAt: null, csrfToken: null };
    },
  );

  routes.delete(
    '/v1/session',
    {
      schema: {
        tags: ['session'],
        summary: 'Sign out: end the session and clear its cookie',
        description: 'With the cookie, needs the X-Octo-CSRF header like every action. The cookie is refused from then on, also if it was copied elsewhere.',
        response: { 204: { description: 'Signed out', type: 'null' }, 401: errorSchema, 403: errorSchema },
      },
    },
    async (request, reply) => endSession(request, reply, tokens, sessions),
  );
}

async function endSession(request: FastifyRequest, reply: FastifyReply, tokens: BearerTokens, sessions: SessionStore): Promise<FastifyReply> {
  const access = requestAccess(request, tokens, sessions);
  if (access.granted && access.via === 'session') sessions.end(access.sessionId);
  reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure: overTls(request) });
  return reply.code(204).send();
}

/** Secure cookies over TLS: this server's own, or a proxy's in front that says so (a Secure flag only narrows where the cookie goes). */
function overTls(request: FastifyRequest): boolean {
  const forwarded = request.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return request.protocol === 'https' || first === 'https';
}
