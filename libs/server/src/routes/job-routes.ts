import type { JobEvent } from '@octo/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiConfig } from '../config/api-config.js';
import { ApiError } from '../http/api-error.js';
import { errorSchema, jobDetailSchema, jobEventSchema, jobIdSchema, jobListQuerySchema, jobListSchema, SSE_EVENT_NAMES } from '../http/schemas.js';
import { toJsonSchema, type ZodTypeProvider } from '../http/zod-type-provider.js';
import type { JobService } from '../jobs/job-service.js';

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
      const page = jobs.list({ provider, status, limit, offset });
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
          'First a `job.state` event with the job as GET /v1/jobs/:id shows it, then every later event (`job.started`, `file.started`, `file.progress`, `file.done`, `file.failed`) and last `job.finished` with the summary; then the stream ends. For a job that already ended, the stream is the `job.state` event alone.',
        params: idParams,
        response: {
          200: { description: 'An event stream, one job event per SSE event', content: { 'text/event-stream': { schema: sseEventJsonSchema() } } },
          400: errorSchema,
          401: errorSchema,
          404: errorSchema,
        },
      },
    },
    async (request, reply) => {
      const raw = reply.raw;
      let sequence = 0;
      const write = (name: string, data: unknown) => {
        sequence += 1;
        raw.write(`id: ${sequence}\nevent: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      // Events that arrive before the stream is open wait here; the state snapshot was taken
      // when the watcher was added, so they follow it in order.
      const queued: JobEvent[] = [];
      let open = false;
      let heartbeat: NodeJS.Timeout | undefined;
      let unsubscribe: () => void = () => undefined;
      const finish = () => {
        clearInterval(heartbeat);
        unsubscribe();
        if (!raw.writableEnded) raw.end();
      };
      const send = (event: JobEvent) => {
        if (raw.writableEnded) return;
        // Events are checked against their documented schema like every other response.
        const checked = jobEventSchema.safeParse(event);
        if (!checked.success) {
          request.log.error({ type: event.type, issues: checked.error.issues }, 'job event does not match its schema; ending the stream');
          return finish();
        }
        write(event.type, checked.data);
        if (event.type === 'job.finished') finish();
      };
      const watched = await jobs.watch(request.params.id, (event) => (open ? send(event) : queued.push(event)));
      if (!watched) throw new ApiError(404, `no job ${request.params.id}`);
      unsubscribe = watched.unsubscribe;
      reply.hijack();
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        // Proxies such as nginx would otherwise buffer the stream.
        'x-accel-buffering': 'no',
      });
      raw.on('close', finish);
      write('job.state', watched.state);
      if (watched.ended) return finish();
      open = true;
      for (const event of queued.splice(0)) send(event);
      if (!raw.writableEnded) {
        heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), config.sseHeartbeatMs);
        heartbeat.unref();
      }
    },
  );
}

/**
 * One SSE event as OpenAPI 3.2 describes items of a sequential media type (`event`, `id`,
 * `data`), with `data` holding JSON: the job for `job.state`, a job event otherwise.
 */
function sseEventJsonSchema(): Record<string, unknown> {
  return {
    type: 'object',
    required: ['event', 'data', 'id'],
    properties: {
      event: { type: 'string', enum: [...SSE_EVENT_NAMES] },
      id: { type: 'string', pattern: '^[1-9][0-9]*$', description: 'Counts events from 1 on each connection' },
      data: {
        type: 'string',
        contentMediaType: 'application/json',
        contentSchema: { anyOf: [toJsonSchema(jobDetailSchema, 'output'), toJsonSchema(jobEventSchema, 'output')] },
      },
    },
  };
}
