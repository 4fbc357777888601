import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiConfig } from '../config/api-config.js';
import { ApiError } from '../http/api-error.js';
import { errorSchema, jobDetailSchema, jobEventSchema, jobIdSchema, jobListQuerySchema, jobListSchema, SSE_EVENT_NAMES } from '../http/schemas.js';
import { toJsonSchema, type ZodTypeProvider } from '../http/zod-type-provider.js';
import type { JobService } from '../jobs/job-service.js';
import { streamJobEvents } from './job-event-stream.js';

const idParams = z.strictObject({ id: jobIdSchema });

/** GET /v1/jobs, GET /v1/jobs/:id, GET /v1/jobs/:id/events (SSE), DELETE /v1/jobs/:id. */
export function registerJobRoutes(app: FastifyInstance, deps: { jobs: JobService; config: ApiConfig }): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const { jobs, config } = deps;

  routes.get(
    '/v1/jobs',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Jobs, newest first, filtered by provider and status, paginated',
        querystring: jobListQuerySchema(config.limits.maxPageSize),
        response: { 200: jobListSchema, 400: errorSchema, 401: errorSchema },
      },
    },
    async (request) => {
      const { provider, status, limit, offset } = request.query;
      const page = await jobs.list({ provider, status, limit, offset });
      const next = offset + page.items.length;
      return { items: page.items, total: page.total, limit, offset, nextOffset: next < page.total ? next : null };
    },
  );

  routes.get(
    '/v1/jobs/:id',
    {
      schema: {
        tags: ['jobs'],
        summary: 'A job: status, percent, counts, bytes, start and end, and each file\'s result',
        params: idParams,
        response: { 200: jobDetailSchema, 400: errorSchema, 401: errorSchema, 404: errorSchema },
      },
    },
    async (request) => {
      const job = await jobs.get(request.params.id);
      if (!job) throw new ApiError(404, `no job ${request.params.id}`);
      return job;
    },
  );

  routes.delete(
    '/v1/jobs/:id',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Cancel a running job',
        description:
          'Files in flight are aborted and nothing partial becomes visible; files already done stay in the ledger. 200 with the ended job (status `cancelled`), or 202 if it is still winding down; 409 when the job is not running.',
        params: idParams,
        response: { 200: jobDetailSchema, 202: jobDetailSchema, 400: errorSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema },
      },
    },
    async (request, reply) => {
      const { job, ended } = await jobs.cancel(request.params.id);
      return reply.code(ended ? 200 : 202).send(job);
    },
  );

  routes.get(
    '/v1/jobs/:id/events',
    {
      // A HEAD would hold a connection open for the whole job to send no body.
      exposeHeadRoute: false,
      schema: {
        tags: ['jobs'],
        summary: 'Follow a job as Server-Sent Events',
        description:
          'A `retry:` hint, then a `job.state` event with the job as GET /v1/jobs/:id shows it, then every later event (`job.started`, `file.started`, `file.progress`, `file.done`, `file.failed`), `job.finished` with the summary and last an `end` event; then the stream closes. Jobs of every process are followed (`octo sync`, another API, workers). Every event but `file.progress` and `end` has an id; a reconnect with `Last-Event-ID` resumes after that event (no `job.state`), and gets 204 once the job ended and nothing is left, so an EventSource stops reconnecting. For a job that already ended, the stream is its `job.state` and `end`.',
        params: idParams,
        response: {
          200: { description: 'An event stream, one job event per SSE event', content: { 'text/event-stream': { schema: sseEventJsonSchema() } } },
          204: { description: 'The job ended and nothing follows the Last-Event-ID sent: stop reconnecting', type: 'null' },
          400: errorSchema,
          401: errorSchema,
          404: errorSchema,
        },
      },
    },
    async (request, reply) => streamJobEvents(request, reply, request.params.id, jobs, config),
  );
}

/**
 * One SSE event as OpenAPI 3.2 describes items of a sequential media type (`event`, `id`,
 * `data`), with `data` holding JSON: the job for `job.state`, a job event otherwise.
 */
function sseEventJsonSchema(): Record<string, unknown> {
  return {
    type: 'object',
    required: ['event', 'data'],
    properties: {
      event: { type: 'string', enum: [...SSE_EVENT_NAMES] },
      id: { type: 'string', pattern: '^[0-9]+$', description: "The event's number in the job, from 1 (`job.state` carries the number of the last event it includes); send it back as Last-Event-ID to resume" },
      data: {
        type: 'string',
        contentMediaType: 'application/json',
        contentSchema: { anyOf: [toJsonSchema(jobDetailSchema, 'output'), toJsonSchema(jobEventSchema, 'output'), { type: 'object', required: ['jobId'], properties: { jobId: { type: 'string' } } }] },
      },
    },
  };
}
