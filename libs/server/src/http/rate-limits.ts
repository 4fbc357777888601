import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config/api-config.js';

/** The stricter limit on failed authentication, consulted by the auth hook. */
export interface AuthFailureLimit {
  /** True (and the 429 is sent) when this address has used up its failed authentications for the window. */
  refuseIfLocked(request: FastifyRequest, reply: FastifyReply): Promise<boolean>;
  /** Counts one failed authentication (a missing or wrong token) against the request's address. */
  recordFailure(request: FastifyRequest): Promise<void>;
}

/**
 * Rate limits per client address (@fastify/rate-limit, in memory): every request counts
 * against `api.rateLimit.max` per window, and a failed authentication also counts against
 * the much smaller `api.rateLimit.authFailures`, which once used up refuses every request
 * from that address (before its token is even checked) until the window ends, so a token
 * cannot be guessed at speed. Refusals are 429 with `Retry-After` and the documented error shape.
 */
export async function registerRateLimits(app: FastifyInstance, config: ApiConfig['rateLimit']): Promise<AuthFailureLimit> {
  await app.register(rateLimit, { global: false, timeWindow: config.windowMs });
  const byAddress = (request: FastifyRequest) => request.ip;
  const requests = app.createRateLimit({ max: config.max, timeWindow: config.windowMs, keyGenerator: byAddress });
  const failures = app.createRateLimit({ max: config.authFailures, timeWindow: config.windowMs, keyGenerator: byAddress });
  const windowText = `${Math.round(config.windowMs / 1000)} s`;

  const refuse = (reply: FastifyReply, ttlMs: number, what: string) => {
    const retryAfter = Math.max(1, Math.ceil(ttlMs / 1000));
    return reply
      .code(429)
      .header('retry-after', String(retryAfter))
      .send({ statusCode: 429, error: 'Too Many Requests', message: `${what}; retry in ${retryAfter} s` });
  };

  // Runs before the auth hook (hooks run in the order they are added), so a flood is refused cheaply.
  app.addHook('onRequest', async (request, reply) => {
    const limit = await requests(request);
    if (!limit.isAllowed && limit.isExceeded) {
      request.log.warn({ address: request.ip }, 'request refused: rate limit');
      await refuse(reply, limit.ttl, `too many requests from this address (at most ${config.max} per ${windowText})`);
    }
  });

  return {
    async refuseIfLocked(request, reply) {
      const status = await failures(request, { increment: false });
      if (status.isAllowed || status.remaining > 0) return false;
      request.log.warn({ address: request.ip }, 'request refused: too many failed authentications');
      await refuse(reply, status.ttl, `too many failed authentications from this address (at most ${config.authFailures} per ${windowText}); every request from it is refused until then`);
      return true;
    },
    async recordFailure(request) {
      await failures(request);
    },
  };
}
