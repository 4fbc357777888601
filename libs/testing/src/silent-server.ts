import net from 'node:net';
import type { AddressInfo } from 'node:net';

/** A loopback TCP server that accepts every connection and never sends a byte. */
export interface SilentServer {
  readonly port: number;
  /** `http://127.0.0.1:port`: an S3 endpoint that hangs every request. */
  readonly endpoint: string;
  /** Connections accepted so far. */
  readonly connections: () => number;
  /** Closes the server and every connection it holds. */
  stop(): Promise<void>;
}

/**
 * Starts a server on a free 127.0.0.1 port that completes the TCP handshake and then says
 * nothing (what a wedged S3 endpoint or SFTP server looks like to a client): whatever the
 * client sends is read and dropped, so only the client's own timeouts can end the wait.
 */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    connections: () => accepted,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
