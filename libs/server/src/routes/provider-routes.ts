import type { OctoRuntime, Scheduler } from '@octo/core';
import type { FastifyInstance } from 'fastify';
import type { ApiConfig } from '../config/api-config.js';
import type { JobService } from '../jobs/job-service.js';
import { errorSchema, jobDetailSchema, providerListSchema, providerNameSchema, startJobBodySchema } from '../http/schemas.js';
import { RequestValidationError, type ZodTypeProvider } from '../http/zod-type-provider.js';
import { z } from 'zod';
import { providerView } from './provider-view.js';

/** GET /v1/providers and POST /v1/providers/:name/jobs. */
export function registerProviderRoutes(app: FastifyInstance, deps: { runtime: OctoRuntime; jobs: JobService; config: ApiConfig; scheduler: Scheduler }): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.get(
    '/v1/providers',
    { schema: { tags: ['providers'], summary: 'The configured providers, their source and bucket, their schedule and next run, their last job', response: { 200: providerListSchema, 401: errorSchema } } },
    async () => ({
      items: await Promise.all(deps.runtime.providers.list().map((provider) => providerView(deps, provider))),
    }),
  );

  routes.post(
    '/v1/providers/:name/jobs',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Start a sync of one provider',
        description:
          'Answers 202 with the job. One sync per provider at a time: while one runs, 409 with its id. The source, bucket and keys come only from config.',
        params: z.strictObject({ name: providerNameSchema }),
        body: startJobBodySchema(deps.config.limits.maxConcurrency).nullish(),
        response: { 202: jobDetailSchema, 400: errorSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema, 413: errorSchema, 415: errorSchema, 503: errorSchema },
      },
      // No body means the defaults; a JSON body that is `null` is a mistake, not "no options".
      preValidation: async (request) => {
        if (request.body === null && Number(request.headers['content-length'] ?? 0) > 0) {
          throw new RequestValidationError('body', [{ code: 'invalid_type', expected: 'object', path: [], message: 'expected an object (or no body at all)', input: null }]);
        }
      },
    },
    async (request, reply) => {
      const body = request.body ?? { dryRun: false };
      const job = await deps.jobs.start(request.params.name, { dryRun: body.dryRun, concurrency: body.concurrency });
      return reply.code(202).header('location', `/v1/jobs/${job.id}`).send(job);
    },
  );
}
