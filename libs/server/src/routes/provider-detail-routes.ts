import type { OctoRuntime, Scheduler } from '@octo/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ApiError } from '../http/api-error.js';
import { errorSchema, providerNameSchema, providerSchema } from '../http/schemas.js';
import type { ZodTypeProvider } from '../http/zod-type-provider.js';
import type { JobService } from '../jobs/job-service.js';
import { providerView } from './provider-view.js';

/** GET /v1/providers/:name: one provider as the list shows it, `late` included. */
export function registerProviderDetailRoutes(app: FastifyInstance, deps: { runtime: OctoRuntime; jobs: JobService; scheduler: Scheduler }): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/providers/:name',
    {
      schema: {
        tags: ['providers'],
        summary: 'One provider: its source and bucket, schedule, running and last job, and whether its files are late',
        params: z.strictObject({ name: providerNameSchema }),
        response: { 200: providerSchema, 401: errorSchema, 404: errorSchema },
      },
    },
    async (request) => {
      const provider = deps.runtime.providers.list().find((entry) => entry.name === request.params.name);
      if (!provider) throw new ApiError(404, `unknown provider "${request.params.name}": the configured providers are ${deps.runtime.providers.names().join(', ') || '(none)'}`);
      return providerView(deps, provider);
    },
  );
}
