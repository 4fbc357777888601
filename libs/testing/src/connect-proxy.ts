import net from 'node:net';
import { freePort } from './free-port.js';

/** A tiny HTTP CONNECT proxy on loopback (tests only): tunnels to loopback targets and records each request. */
export interface ConnectProxy {
  readonly port: number;
  /** The `CONNECT` authority of every request, in order (`127.0.0.1:2222`). */
  readonly requests: readonly string[];
  /** The `Proxy-Authorization` header of every request ('' when none). */
  readonly authorizations: readonly string[];
  stop(): Promise<void>;
}

/**
 * Starts the proxy. It knows one name of its own, `sftp.partner.invalid`, as 127.0.0.1 (a server
 * only the proxy can reach, as a partner's behind an IP allowlist), and refuses (403) any other
 * target that is not 127.0.0.1, so tests never leave the machine.
 */
export async function startConnectProxy(): Promise<ConnectProxy> {
  const port = await freePort();
  const requests: string[] = [];
  const authorizations: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      client.off('data', onData);
      const lines = head.subarray(0, end).toString('latin1').split('\r\n');
      const [method, authority] = (lines[0] ?? '').split(' ');
      requests.push(authority ?? '');
      authorizations.push(lines.find((line) => /^proxy-authorization:/i.test(line))?.replace(/^[^:]+:\s*/, '') ?? '');
      const match = /^(?:127\.0\.0\.1|sftp\.partner\.invalid):(\d+)$/.exec(authority ?? '');
      if (method !== 'CONNECT' || !match) {
        client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
        return;
      }
      const upstream = net.connect({ host: '127.0.0.1', port: Number(match[1]) });
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
      upstream.once('connect', () => {
        client.write('HTTP/1.1 200 Connection established\r\n\r\n');
        const rest = head.subarray(end + 4);
        if (rest.length > 0) upstream.write(rest);
        client.pipe(upstream).pipe(client);
      });
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    requests,
    authorizations,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
