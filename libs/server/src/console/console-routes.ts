import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The console's Content-Security-Policy: its own scripts, styles and API only. No inline script
 * or style, no other origin, no frames, no plugins: an injected string cannot run as code.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** What `octo serve` says when the console's assets were not built. */
export const CONSOLE_NOT_BUILT =
  'the web console is not built: run `npx nx run console:build` in the Octo checkout (npm ci builds it), then restart octo serve; the API works without it';

/**
 * Serves the built web console at `/` (index.html) and `/assets/*` (Vite's hashed files), open
 * like sign-in must be, with a strict CSP. The console holds no data: everything it shows comes
 * from the /v1 API after sign-in. When the folder has no index.html the API still starts, logs
 * how to build the console, and `/` answers 503 saying the same.
 */
export async function registerConsoleRoutes(app: FastifyInstance, deps: { assetsDir: string }): Promise<void> {
  const built = existsSync(path.join(deps.assetsDir, 'index.html'));
  if (!built) app.log.warn(CONSOLE_NOT_BUILT);
  else await app.register(fastifyStatic, { root: deps.assetsDir, serve: false, dotfiles: 'deny', index: false, cacheControl: false });
  const open = { config: { public: true }, schema: { hide: true }, exposeHeadRoute: false };

  app.get('/', open, async (_request, reply) => {
    if (!built) return reply.code(503).send({ statusCode: 503, error: 'Service Unavailable', message: CONSOLE_NOT_BUILT });
    // The page is small and names the hashed assets: always revalidated, so a new build shows at once.
    return secured(reply).header('cache-control', 'no-cache').type('text/html; charset=utf-8').sendFile('index.html');
  });
  app.get('/assets/*', open, async (request, reply) => {
    const file = (request.params as { '*': string })['*'];
    if (!built || !/^[A-Za-z0-9._-]+$/.test(file)) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `no console asset ${file.slice(0, 100)}` });
    // Vite names every asset by its content hash, so a cached copy is never stale.
    return secured(reply).header('cache-control', 'public, max-age=31536000, immutable').sendFile(path.posix.join('assets', file));
  });
}

function secured(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('cross-origin-opener-policy', 'same-origin');
}
