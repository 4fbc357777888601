import { STATUS_CODES } from 'node:http';
import net from 'node:net';
import { createOctoApi, type OctoApi } from '../src/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPartnerWorkspace, type TempWorkspace, TEST_ENV, TEST_TOKEN, testPartnerProvider } from '@octo/core/testing';

/** One raw HTTP/1.1 exchange on a fresh connection: what a client that is not fetch() can send. */
function exchange(port: number, request: string | Buffer): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const status = Number(statusLine.split(' ')[1]);
      if (!status) return reject(new Error(`no HTTP answer: ${JSON.stringify(text)}`));
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      resolve({ status, headers, body: rest.join('\r\n\r\n') });
    });
    setTimeout(() => socket.end(), 3000).unref();
  });
}

/** The documented error shape: exactly statusCode (the answer's status), error (its reason phrase) and message, plus jobId on 409. */
function expectErrorShape(answer: { status: number; headers: Record<string, string | undefined>; body: string }, status: number): string {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  const { jobId, ...rest } = body;
  expect(Object.keys(rest).sort()).toEqual(['error', 'message', 'statusCode']);
  if (jobId !== undefined) expect(status).toBe(409);
  expect(rest['statusCode']).toBe(status);
  expect(rest['error']).toBe(STATUS_CODES[status]);
  expect(typeof rest['message']).toBe('string');
  expect((rest['message'] as string).length).toBeGreaterThan(10);
  return rest['message'] as string;
}

describe('every error answer of the API has the documented shape (over real HTTP)', () => {
  let setup: TempWorkspace;
  let api: OctoApi;
  let port: number;
  let base: string;
  const auth = `Authorization: Bearer ${TEST_TOKEN}\r\n`;

  beforeAll(async () => {
    setup = await createTestPartnerWorkspace();
    api = await createOctoApi({ loaded: setup.loaded, plugins: [testPartnerProvider], env: TEST_ENV, api: { logLevel: 'silent', rateLimit: { max: 100_000, authFailures: 50, windowMs: 60_000 } } });
    base = await api.listen();
    port = Number(new URL(base).port);
  });

  afterAll(async () => {
    await api?.shutdown(0);
    await setup?.cleanup();
  });

  it('should answer 414 for a path segment over 128 characters, without echoing it', async () => {
    const long = 'a'.repeat(300);
    for (const request of [`GET /v1/jobs/${long} HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`, `GET /v1/jobs/${long} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`]) {
      const answer = await exchange(port, request);
      expect(expectErrorShape(answer, 414)).toBe('a path segment is longer than 128 characters: provider names have at most 63 and job ids 36');
      expect(answer.body).not.toContain(long);
    }
  });

  it('should answer 431 for headers over 16 KiB and 400 for what is not HTTP, in the same shape', async () => {
    const huge = await exchange(port, `GET /v1/jobs?x=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n${auth}\r\n`);
    expect(expectErrorShape(huge, 431)).toContain('larger than the server accepts');
    const garbage = await exchange(port, 'HELLO THERE\r\n\r\n');
    expect(expectErrorShape(garbage, 400)).toBe('the request is not valid HTTP/1.1');
  });

  it('should answer a malformed percent-escape with 400 and no echo', async () => {
    const answer = await exchange(port, `GET /v1/jobs/%zz HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`);
    expect(expectErrorShape(answer, 400)).toBe('the path is not valid: check its percent-escapes (%XX)');
  });

  it('should use the shape for 400, 401, 404, 405, 409, 413, 415 and 429 alike', async () => {
    const call = async (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) => {
      const response = await fetch(`${base}${path}`, init);
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => (headers[name] = value));
      return { status: response.status, headers, body: await response.text() };
    };
    const bearer = { authorization: `Bearer ${TEST_TOKEN}` };
    expectErrorShape(await call('/v1/jobs?limit=abc', { headers: bearer }), 400);
    expectErrorShape(await call('/v1/providers/example/jobs', { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: '{bad' }), 400);
    expectErrorShape(await call('/v1/jobs'), 401);
    expectErrorShape(await call('/v1/nothing-here', { headers: bearer }), 404);
    expectErrorShape(await call('/v1/jobs', { method: 'PUT', headers: bearer }), 405);
    expectErrorShape(await call('/v1/providers/example/jobs', { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify({ pad: 'x'.repeat(20_000) }) }), 413);
    expectErrorShape(await call('/v1/providers/example/jobs', { method: 'POST', headers: { ...bearer, 'content-type': 'text/plain' }, body: 'hi' }), 415);
    // A job that already ended cannot be cancelled: 409 with its id.
    const started = await call('/v1/providers/example/jobs', { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify({ dryRun: true }) });
    const id = (JSON.parse(started.body) as { id: string }).id;
    await api.runtime.jobs.get(id)!.done;
    for (let i = 0; i < 50 && api.jobs.runningJobId('example') !== undefined; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    const conflict = await call(`/v1/jobs/${id}`, { method: 'DELETE', headers: bearer });
    expectErrorShape(conflict, 409);
    expect(JSON.parse(conflict.body).jobId).toBe(id);
    // Wrong tokens until the failed-authentication limit (50 here) is used up.
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 60; i += 1) {
      last = await call('/v1/jobs', { headers: { authorization: 'Bearer wrong-token-wrong-token-wrong' } });
      statuses.push(last.status);
    }
    // One 401 above already counted.
    expect(statuses.filter((status) => status === 401)).toHaveLength(49);
    expectErrorShape(last!, 429);
    expect(Number(last!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });
});
