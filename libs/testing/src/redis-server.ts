import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitForPort } from './free-port.js';
import { ManagedProcess } from './managed-process.js';

export const REDIS_SERVER_PATH = process.env['OCTO_REDIS_SERVER'] ?? 'redis-server';

/** A running `redis-server` on a loopback port, with its data in a temp folder. */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:port` */
  readonly url: string;
  readonly pid: number;
  readonly log: () => string;
  /** Stops the server (its pid's process group) and removes its folder. */
  stop(): Promise<void>;
  /**
   * Stops the server (SIGTERM: with `persistent` it writes its data first) and starts it again on
   * the same port with the same data folder: a Redis restart as production sees one.
   */
  restart(downMs?: number): Promise<void>;
}

/**
 * Starts Debian's `redis-server` on a free loopback port, as production should run it for
 * BullMQ (`maxmemory-policy noeviction`) unless `maxmemoryPolicy` says otherwise, without
 * persistence (a test's data dies with it).
 */
export async function startRedis(options: { maxmemoryPolicy?: string; persistent?: boolean } = {}): Promise<RedisServer> {
  try {
    execFileSync(REDIS_SERVER_PATH, ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error(`${REDIS_SERVER_PATH} is missing: run tools/scripts/setup-test-deps.sh (apt-get install redis-server)`);
  }
  const port = await freePort();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'octo-redis-'));
  // Persistent as production should run it (AOF, fsync every second), or nothing kept at all.
  const persistence = options.persistent ? ['--appendonly', 'yes', '--appendfsync', 'everysec'] : ['--save', '', '--appendonly', 'no'];
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, ...persistence, '--maxmemory-policy', options.maxmemoryPolicy ?? 'noeviction'];
  const launch = async (): Promise<ManagedProcess> => {
    const started = ManagedProcess.start('redis', REDIS_SERVER_PATH, args);
    try {
      await waitForPort(port, 20_000, () => started.alive);
    } catch (error) {
      await started.stop();
      await rm(dir, { recursive: true, force: true });
      throw new Error(`redis-server did not start: ${(error as Error).message}\n${started.log}`);
    }
    return started;
  };
  let server = await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return server.pid;
    },
    log: () => server.log,
    stop: async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
    restart: async (downMs = 0) => {
      await server.stop(10_000);
      await new Promise((resolve) => setTimeout(resolve, downMs));
      server = await launch();
    },
  };
}
