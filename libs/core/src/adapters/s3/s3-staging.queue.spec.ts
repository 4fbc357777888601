import { Readable } from 'node:stream';
import { CreateMultipartUploadCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { DEFAULT_QUEUE_SIZE } from './part-size.js';
import { S3ObjectStore } from './s3-object-store.js';

const MiB = 1024 * 1024;

/** A client that answers multipart requests, holding each part for a moment and counting how many it holds at once. */
function countingClient(): { client: S3Client; parts: () => number; mostAtOnce: () => number; bodies: () => Set<unknown> } {
  const client = new S3Client({ region: 'us-east-1' });
  let open = 0;
  let most = 0;
  let parts = 0;
  const bodies = new Set<unknown>();
  client.send = (async (command: unknown) => {
    if (command instanceof CreateMultipartUploadCommand) return { UploadId: 'u-1' };
    if (command instanceof UploadPartCommand) {
      parts += 1;
      bodies.add(command.input.Body);
      open += 1;
      most = Math.max(most, open);
      await new Promise((resolve) => setTimeout(resolve, 5));
      open -= 1;
      return { ETag: `"e${command.input.PartNumber}"` };
    }
    return {};
  }) as S3Client['send'];
  return { client, parts: () => parts, mostAtOnce: () => most, bodies: () => bodies };
}

/** `mib` MiB in 256 KiB chunks, as a decompressor hands them on. */
function stream(mib: number): Readable {
  const chunk = Buffer.alloc(256 * 1024, 7);
  return Readable.from((function* () {
    for (let i = 0; i < mib * 4; i += 1) yield chunk;
  })());
}

describe('S3 staging: parts in flight', () => {
  it(`should upload at most ${DEFAULT_QUEUE_SIZE} parts of an object at once by default, from ${DEFAULT_QUEUE_SIZE + 1} reused buffers`, async () => {
    expect(DEFAULT_QUEUE_SIZE).toBe(3);
    const fake = countingClient();
    const store = new S3ObjectStore({ location: { bucket: 'b', prefix: '' }, client: fake.client, partSizeBytes: 8 * MiB });
    const staged = await store.begin().put('big.csv', stream(80));
    expect(staged.size).toBe(80 * MiB);
    expect(fake.parts()).toBe(10);
    expect(fake.mostAtOnce()).toBe(3);
    // Nine full parts share the pool's buffers; the tenth (last) is a right-sized copy.
    expect(fake.bodies().size).toBeLessThanOrEqual(DEFAULT_QUEUE_SIZE + 2);
  });

  it('should take store.queueSize when it is set', async () => {
    const fake = countingClient();
    const store = new S3ObjectStore({ location: { bucket: 'b', prefix: '' }, client: fake.client, partSizeBytes: 8 * MiB, queueSize: 6 });
    await store.begin().put('big.csv', stream(80));
    expect(fake.mostAtOnce()).toBe(6);
  });
});
