import net from 'node:net';

/** A loopback TCP proxy that holds every chunk for a fixed time in each direction. */
export interface LatencyProxy {
  readonly port: number;
  /** The added round trip: twice the one-way delay. */
  readonly roundTripMs: number;
  stop(): Promise<void>;
}

/**
 * Starts a TCP proxy on a free loopback port in front of `127.0.0.1:targetPort` that delays
 * each direction by `roundTripMs / 2`, keeping byte order: a far-away SFTP server on a kernel
 * without `netem`. It adds latency only, never a bandwidth cap.
 */
export async function startLatencyProxy(targetPort: number, options: { roundTripMs: number }): Promise<LatencyProxy> {
  const oneWayMs = options.roundTripMs / 2;
  const sockets = new Set<net.Socket>();
  // Half-open sockets: one side's end must travel through the delay, not close the other at once.
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort, allowHalfOpen: true });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    delayLine(client, upstream, oneWayMs);
    delayLine(upstream, client, oneWayMs);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    roundTripMs: options.roundTripMs,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Forwards `from` to `to`, each chunk `delayMs` after it arrived, in order; an end or error travels the same way. */
function delayLine(from: net.Socket, to: net.Socket, delayMs: number): void {
  const queue: Array<{ due: number; chunk: Buffer | null }> = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    const now = performance.now();
    for (let head = queue[0]; head && head.due <= now; head = queue[0]) {
      queue.shift();
      const { chunk } = head;
      if (chunk === null) {
        to.end();
        return;
      }
      // The far side is slow: stop reading until it drained, as a real link's window would.
      if (!to.write(chunk) && !from.isPaused()) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    }
    const next = queue[0];
    if (next) timer = setTimeout(flush, Math.max(0, next.due - now));
  };
  const enqueue = (chunk: Buffer | null) => {
    queue.push({ due: performance.now() + delayMs, chunk });
    timer ??= setTimeout(flush, delayMs);
  };
  from.on('data', (chunk: Buffer) => enqueue(chunk));
  from.once('end', () => enqueue(null));
  from.once('close', () => {
    // A reset on one side resets the other after the same delay.
    if (!from.readableEnded) setTimeout(() => to.destroy(), delayMs);
  });
}
