import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { keystreamBytes } from './keystream-file.js';
import { startLatencyProxy, type LatencyProxy } from './latency-proxy.js';

/** A loopback echo server: what a client sends comes back, and its end ends the reply. */
async function startEcho(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => socket.pipe(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Sends `payload` through `port`, ends, and returns what came back and when the first byte did. */
async function exchange(port: number, payload: Buffer): Promise<{ reply: Buffer; firstByteMs: number }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  const started = performance.now();
  let firstByteMs = -1;
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => {
    if (firstByteMs < 0) firstByteMs = performance.now() - started;
    chunks.push(chunk);
  });
  socket.end(payload);
  await once(socket, 'end');
  socket.destroy();
  return { reply: Buffer.concat(chunks), firstByteMs };
}

describe('startLatencyProxy', () => {
  let proxy: LatencyProxy | undefined;
  let echo: Awaited<ReturnType<typeof startEcho>> | undefined;

  afterEach(async () => {
    await proxy?.stop();
    await echo?.close();
  });

  it('should deliver every byte in order, end included, after at least the round trip', async () => {
    echo = await startEcho();
    proxy = await startLatencyProxy(echo.port, { roundTripMs: 60 });
    const payload = keystreamBytes(4 * 1024 * 1024, 'latency');

    const { reply, firstByteMs } = await exchange(proxy.port, payload);

    expect(reply.length).toBe(payload.length);
    expect(reply.equals(payload)).toBe(true);
    // A timer never fires early: the first byte back waited for both directions' delay.
    expect(firstByteMs).toBeGreaterThanOrEqual(59);
    expect(proxy.roundTripMs).toBe(60);
  });

  it('should hold each chunk for the full delay, also one sent while an earlier one waits', async () => {
    echo = await startEcho();
    proxy = await startLatencyProxy(echo.port, { roundTripMs: 60 });
    const socket = net.connect({ host: '127.0.0.1', port: proxy.port });
    await once(socket, 'connect');
    const arrivals: Array<{ text: string; ms: number }> = [];
    const started = performance.now();
    socket.on('data', (chunk: Buffer) => arrivals.push({ text: chunk.toString('utf8'), ms: performance.now() - started }));
    socket.write('a');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const secondSentMs = performance.now() - started;
    socket.end('b');
    await once(socket, 'end');
    socket.destroy();
    expect(arrivals.map((arrival) => arrival.text).join('')).toBe('ab');
    const second = arrivals.find((arrival) => arrival.text.includes('b'))!;
    expect(second.ms - secondSentMs).toBeGreaterThanOrEqual(59);
  });

  it('should add nothing measurable without a delay and still pass the end through', async () => {
    echo = await startEcho();
    proxy = await startLatencyProxy(echo.port, { roundTripMs: 0 });
    const { reply } = await exchange(proxy.port, Buffer.from('ping'));
    expect(reply.toString('utf8')).toBe('ping');
  });
});
