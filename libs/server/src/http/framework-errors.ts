import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The documented error body: `{ statusCode, error, message }`. */
function errorBody(statusCode: number, error: string, message: string): string {
  return JSON.stringify({ statusCode, error, message });
}

/**
 * Fastify's router errors (a path segment longer than `maxParamLength`, a malformed percent
 * escape), answered in the documented error shape instead of Fastify's own (which adds a
 * `code` and echoes the whole path back).
 */
export function frameworkErrorHandler(error: Error & { code?: string }, _request: FastifyRequest, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void reply
      .code(414)
      .type('application/json; charset=utf-8')
      .send(errorBody(414, 'URI Too Long', 'a path segment is longer than 128 characters: provider names have at most 63 and job ids 36'));
    return;
  }
  void reply
    .code(400)
    .type('application/json; charset=utf-8')
    .send(errorBody(400, 'Bad Request', 'the path is not valid: check its percent-escapes (%XX)'));
}

/**
 * What Node's HTTP parser refuses before Fastify sees a request (headers too large, a
 * request that is not HTTP, a client that is too slow), answered in the documented error
 * shape; the connection is closed afterwards, as Node does.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, label, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'the request line and headers are larger than the server accepts (16 KiB): send a shorter URL or fewer headers']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'the request was not received in time']
        : [400, 'Bad Request', 'the request is not valid HTTP/1.1'];
  const body = errorBody(status, label, message);
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${label}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(error);
}
