import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOctoRuntime, loadConfig } from '@octo/core';
import { plainProvider } from '@octo/core/testing';
import { writeOctoConfig } from './config-files.js';
import { startSshd, type SshdServer } from './sshd-server.js';

// A drop of 100,000 files in one folder, listed over real SFTP: every file seen, heap bounded, and
// source.maxFilesPerPoll takes the oldest ones first, leaving the rest for the next run. (How long
// the listing takes is the bench's business, not this spec's.)

const COUNT = 100_000;
let sshd: SshdServer;
let dir: string;
let folder: string;

beforeAll(async () => {
  sshd = await startSshd();
  dir = await mkdtemp(path.join(os.tmpdir(), 'octo-big-listing-'));
  folder = path.join(sshd.dropDir, 'big');
  await mkdir(folder);
  for (let start = 0; start < COUNT; start += 1000) {
    await Promise.all(Array.from({ length: 1000 }, (_, i) => writeFile(path.join(folder, `f${String(start + i).padStart(6, '0')}.csv`), '')));
  }
}, 120_000);

afterAll(async () => {
  await sshd?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a drop of 100,000 files in one folder', () => {
  it('should list them all within 200 MiB of heap, and a capped poll should take the oldest 1,000', async () => {
    const configPath = await writeOctoConfig(dir, {
      store: 'file://buckets',
      workDir: 'work',
      providers: {
        plain: {
          plugin: 'plain',
          bucket: 'big-bucket',
          source: { url: `sftp://${sshd.user}@127.0.0.1:${sshd.port}${folder}`, hostKey: sshd.hostKeyFingerprint, privateKey: `file:${sshd.userKeyFile}`, maxFilesPerPoll: 1000 },
        },
      },
    });
    const infos: string[] = [];
    const logger = { debug: () => undefined, info: (message: string) => void infos.push(message), warn: () => undefined, error: () => undefined };
    const runtime = await createOctoRuntime({ loaded: await loadConfig(configPath), plugins: [plainProvider], logger });
    const job = (await runtime.providers.create('plain')).syncJob();
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    try {
      const pending = await job.pending();
      const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 1024 ** 2;
      expect(pending).toHaveLength(1000);
      expect(new Set(pending.map((f) => f.path)).size).toBe(1000);
      // The listing saw every file; the cap cut it.
      expect(infos).toContain(`provider plain: ${COUNT} files pending, this run takes the oldest 1000 (source.maxFilesPerPoll); the next run continues with the other ${COUNT - 1000}`);
      expect(heapMiB).toBeLessThan(200);
    } finally {
      await job.close();
    }
  }, 180_000);
});
