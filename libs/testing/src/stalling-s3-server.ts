import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** An S3 endpoint on loopback that answers reads and never answers a write. */
export interface StallingS3Server {
  readonly port: number;
  /** `http://127.0.0.1:port`: point the store's endpoint here (path-style). */
  readonly endpoint: string;
  /** Write requests (PUT, POST, DELETE) received and left unanswered, as `METHOD url`. */
  readonly stalled: () => readonly string[];
  stop(): Promise<void>;
}

/**
 * Starts a fake S3 server on a free 127.0.0.1 port: HeadBucket answers 200 and ListObjectsV2
 * an empty page, so a job gets past its store check and its ledger listing; the run's own
 * registration under `_octo/runs/` is acknowledged; every other write
 * (CreateMultipartUpload, UploadPart, PutObject, Complete, Abort) is read and never answered,
 * which keeps a file in flight for as long as the client waits.
 */
export async function startStallingS3Server(): Promise<StallingS3Server> {
  const stalled: string[] = [];
  const open = new Set<http.ServerResponse>();
  const server = http.createServer((request, response) => {
    request.resume();
    const bucket = new URL(request.url ?? '/', 'http://127.0.0.1').pathname.split('/')[1] ?? '';
    if (request.method === 'HEAD') {
      response.writeHead(200, { 'x-amz-bucket-region': 'us-east-1' }).end();
      return;
    }
    if (request.method === 'GET') {
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket}</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`;
      response.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) }).end(body);
      return;
    }
    // A run's own registration (`_octo/runs/`) is answered, so the job gets as far as its files.
    if (new URL(request.url ?? '/', 'http://127.0.0.1').pathname.startsWith(`/${bucket}/_octo/runs/`)) {
      response.writeHead(request.method === 'DELETE' ? 204 : 200, { etag: '"0"' }).end();
      return;
    }
    stalled.push(`${request.method} ${request.url}`);
    open.add(response);
    response.on('close', () => open.delete(response));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    stalled: () => stalled,
    stop: async () => {
      for (const response of open) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
