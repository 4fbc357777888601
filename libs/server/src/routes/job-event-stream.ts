import type { JobEvent } from '@octo/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config/api-config.js';
import { ApiError } from '../http/api-error.js';
import { jobEventSchema } from '../http/schemas.js';
import type { JobService } from '../jobs/job-service.js';

/** How long a browser's EventSource waits before it reconnects (the stream's `retry:` hint). */
export const SSE_RETRY_MS = 3000;

/**
 * `GET /v1/jobs/:id/events`: the job's state (`job.state`), then every later event, each with
 * its id; after `job.finished` an `end` event, and the stream closes. A reconnect with
 * `Last-Event-ID` resumes after that event; once the job ended and nothing is left, it gets 204,
 * which tells an EventSource to stop reconnecting.
 */
export async function streamJobEvents(request: FastifyRequest, reply: FastifyReply, id: string, jobs: JobService, config: ApiConfig): Promise<void> {
  const afterId = lastEventId(request.headers['last-event-id']);
  const raw = reply.raw;
  const write = (name: string, data: unknown, eventId?: number) => {
    raw.write(`${eventId === undefined ? '' : `id: ${eventId}\n`}event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  // Events that arrive before the stream is open wait here; they follow the state in order.
  const queued: Array<() => void> = [];
  let open = false;
  let heartbeat: NodeJS.Timeout | undefined;
  let stop: () => void = () => undefined;
  const finish = () => {
    clearInterval(heartbeat);
    stop();
    if (!raw.writableEnded) raw.end();
  };
  const send = (event: JobEvent, eventId: number) => {
    if (raw.writableEnded) return;
    // Events are checked against their documented schema like every other response.
    const checked = jobEventSchema.safeParse(event);
    if (!checked.success) {
      request.log.error({ type: event.type, issues: checked.error.issues }, 'job event does not match its schema; ending the stream');
      return finish();
    }
    write(event.type, checked.data, eventId);
  };
  const end = () => {
    if (raw.writableEnded) return;
    write('end', { jobId: id });
    finish();
  };
  const later = (action: () => void) => (open ? action() : queued.push(action));
  const followed = await jobs.follow(id, afterId, { onEvent: (event, eventId) => later(() => send(event, eventId)), onEnd: () => later(end) });
  if (!followed) throw new ApiError(404, `no job ${id}`);
  if (followed === 'gone') {
    await reply.code(204).send();
    return;
  }
  stop = followed.stop;
  reply.hijack();
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // Proxies such as nginx would otherwise buffer the stream.
    'x-accel-buffering': 'no',
  });
  raw.on('close', finish);
  raw.write(`retry: ${SSE_RETRY_MS}\n\n`);
  if (followed.state) write('job.state', followed.state.view, followed.state.id);
  open = true;
  for (const action of queued.splice(0)) action();
  if (!raw.writableEnded) {
    heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), config.sseHeartbeatMs);
    heartbeat.unref();
  }
}

/** The `Last-Event-ID` a reconnecting EventSource sends: an id this API gave, a whole number. */
function lastEventId(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return undefined;
  if (!/^\d{1,15}$/.test(value.trim())) throw new ApiError(400, `Last-Event-ID "${value.slice(0, 40)}" is not an event id of this stream: reconnect without it to start from the job's state`);
  return Number(value.trim());
}
