import { OctoError, withTimeout, type ObjectStore, type OctoRuntime } from '@octo/core';
import type { FastifyInstance } from 'fastify';
import { errorSchema, healthSchema, readySchema } from '../http/schemas.js';
import type { ZodTypeProvider } from '../http/zod-type-provider.js';
import type { OctoMetrics } from '../metrics/octo-metrics.js';

const READY_TIMEOUT_MS = 5000;

/** GET /healthz (alive), GET /readyz (config loaded, every provider's store reachable), GET /metrics. */
export function registerHealthRoutes(
  app: FastifyInstance,
  deps: { runtime: OctoRuntime; metrics: OctoMetrics; storeFor: (bucket: string) => Promise<ObjectStore> },
): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.get('/healthz', { config: { public: true }, schema: { tags: ['health'], summary: 'The process is alive', security: [], response: { 200: healthSchema } } }, async () => ({
    status: 'ok' as const,
  }));

  routes.get(
    '/readyz',
    {
      config: { public: true },
      schema: {
        tags: ['health'],
        summary: 'Config loaded and every provider\'s store reachable',
        description: 'Answers 503 when a store cannot be reached; details are in the logs, not in this open answer.',
        security: [],
        response: { 200: readySchema, 503: readySchema },
      },
    },
    async (request, reply) => {
      const buckets = [...new Set(Object.values(deps.runtime.loaded.config.providers).map((provider) => provider.bucket))].sort();
      const checks = await Promise.all(
        buckets.map(async (bucket) => {
          try {
            const store = await deps.storeFor(bucket);
            await withTimeout(store.check(), READY_TIMEOUT_MS, `store check of ${bucket} took over ${READY_TIMEOUT_MS} ms`);
            return { name: `store:${bucket}`, ok: true };
          } catch (error) {
            const wrapped = OctoError.wrap('store', error);
            request.log.warn({ bucket, kind: wrapped.kind, reason: wrapped.message }, 'readiness: store not reachable');
            return { name: `store:${bucket}`, ok: false, kind: wrapped.kind };
          }
        }),
      );
      const all = [{ name: 'config', ok: true }, ...checks];
      const ready = all.every((check) => check.ok);
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready', checks: all });
    },
  );

  routes.get(
    '/metrics',
    {
      config: { metrics: true },
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics, per provider',
        response: {
          200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } },
          401: errorSchema,
        },
      },
    },
    async (_request, reply) => {
      const { contentType, body } = await deps.metrics.render();
      return reply.type(contentType).serializer((payload: unknown) => payload as string).send(body);
    },
  );
}
