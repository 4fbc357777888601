import { execFileSync } from 'node:child_process';
import { S3Client } from '@aws-sdk/client-s3';
import { freePort, waitForPort } from './free-port.js';
import { ManagedProcess } from './managed-process.js';

/** Static credentials moto accepts; tests export them so the SDK's default chain finds them. */
export const TEST_AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'octotest',
  AWS_SECRET_ACCESS_KEY: 'octotestsecret',
  AWS_REGION: 'us-east-1',
} as const;

/** A running moto S3 server on a loopback port. */
export interface MotoS3Server {
  readonly port: number;
  /** The server's process (the bench reads its CPU time from /proc). */
  readonly pid: number;
  /** `http://127.0.0.1:port` */
  readonly endpoint: string;
  /** A fresh SDK client for this server (path-style, test credentials): an independent reader. */
  client(): S3Client;
  readonly log: () => string;
  stop(): Promise<void>;
}

/**
 * Starts moto's S3 server (`moto_server -H 127.0.0.1 -p PORT`). moto honours multipart abort,
 * ListMultipartUploads and flexible checksums, which s3rver does not.
 */
export async function startMotoS3(): Promise<MotoS3Server> {
  const command = process.env['OCTO_MOTO_SERVER'] ?? 'moto_server';
  try {
    execFileSync(command, ['--help'], { stdio: 'ignore' });
  } catch {
    throw new Error(`${command} is missing: run tools/scripts/setup-test-deps.sh (pip install 'moto[server]')`);
  }
  const port = await freePort();
  const server = ManagedProcess.start('moto', command, ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, ...TEST_AWS_ENV, PYTHONUNBUFFERED: '1' },
  });
  try {
    await waitForPort(port, 30_000, () => server.alive);
  } catch (error) {
    await server.stop();
    throw new Error(`moto_server did not start: ${(error as Error).message}\n${server.log}`);
  }
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    port,
    pid: server.pid,
    endpoint,
    client: () => testS3Client(endpoint),
    log: () => server.log,
    stop: () => server.stop(),
  };
}

/** An SDK client for a loopback S3 server with the test credentials. */
export function testS3Client(endpoint: string, options: { maxAttempts?: number } = {}): S3Client {
  return new S3Client({
    endpoint,
    region: TEST_AWS_ENV.AWS_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: TEST_AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: TEST_AWS_ENV.AWS_SECRET_ACCESS_KEY },
    maxAttempts: options.maxAttempts ?? 3,
  });
}
