import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Which requests fail, how often, and how. */
export interface FaultPlan {
  /** Share of matching requests that fail, 0 to 1. */
  readonly rate: number;
  /** `500`: an S3 InternalError; `503`: SlowDown (throttling); `reset`: drop the connection; `mixed`: any of them, at random. */
  readonly mode: '500' | '503' | 'reset' | 'mixed';
  /** Only requests this returns true for may fail (default: all). */
  readonly match?: (request: { method: string; url: string }) => boolean;
}

/** What the proxy did with one request. */
export interface ProxiedRequest {
  readonly method: string;
  readonly url: string;
  readonly outcome: 'forwarded' | '500' | '503' | 'reset';
  /** The request headers as the client sent them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** A loopback HTTP proxy in front of an S3 server that fails a share of requests on purpose. */
export interface FaultProxy {
  readonly port: number;
  /** `http://127.0.0.1:port`: point the S3 client's endpoint here. */
  readonly endpoint: string;
  /** Replaces the fault plan; `undefined` forwards everything. */
  setFaults(plan: FaultPlan | undefined): void;
  /** Every request seen so far, in arrival order. */
  readonly requests: readonly ProxiedRequest[];
  /** Forgets the requests seen so far. */
  reset(): void;
  stop(): Promise<void>;
}

/** The S3 query parameters that name a multipart operation, for {@link FaultPlan.match}. */
export const isUploadPart = (request: { method: string; url: string }): boolean => request.method === 'PUT' && /[?&]partNumber=/.test(request.url);

/**
 * Starts a fault-injecting proxy on a free loopback port that forwards to `target`
 * (e.g. moto). Faults are drawn from a seeded generator, so a run is repeatable.
 */
export async function startFaultProxy(target: string, options: { seed?: number } = {}): Promise<FaultProxy> {
  const upstream = new URL(target);
  let plan: FaultPlan | undefined;
  const requests: ProxiedRequest[] = [];
  const random = mulberry32(options.seed ?? 42);

  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const matches = plan !== undefined && (plan.match?.({ method, url }) ?? true);
    if (matches && plan && random() < plan.rate) {
      const outcome = plan.mode === 'mixed' ? (['500', '503', 'reset'] as const)[Math.floor(random() * 3)] ?? '500' : plan.mode;
      requests.push({ method, url, outcome, headers: req.headers });
      if (outcome === 'reset') {
        req.socket.destroy();
        return;
      }
      // Read the body first so the client sees the answer rather than a broken pipe.
      req.resume();
      req.once('end', () => {
        const [status, code] = outcome === '503' ? [503, 'SlowDown'] : [500, 'InternalError'];
        res.writeHead(status, { 'content-type': 'application/xml', connection: 'close' });
        res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected by the test proxy</Message></Error>`);
      });
      return;
    }
    requests.push({ method, url, outcome: 'forwarded', headers: req.headers });
    const headers = { ...req.headers };
    // The proxy answers 100-continue itself; the upstream gets a plain request.
    delete headers['expect'];
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method, path: url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => req.socket.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    setFaults: (next) => {
      plan = next;
    },
    get requests() {
      return requests;
    },
    reset: () => {
      requests.length = 0;
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A small seeded PRNG (mulberry32): repeatable fault sequences. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
