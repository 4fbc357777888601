import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { OctoError } from '../errors/octo-error.js';
import { BoundedOutput, RATIO_FLOOR_BYTES, UnpackBudget } from './byte-limit.js';
import { chain } from './chain.js';

async function drain(stream: Readable): Promise<{ bytes: number; error?: OctoError }> {
  let bytes = 0;
  try {
    for await (const chunk of stream) bytes += (chunk as Buffer).length;
  } catch (error) {
    if (!OctoError.is(error)) throw error;
    return { bytes, error };
  }
  return { bytes };
}

const chunks = (count: number, size: number) => Readable.from(Array.from({ length: count }, () => Buffer.alloc(size)));

describe(BoundedOutput, () => {
  it('should pass nothing of the chunk that crosses the budget', async () => {
    const budget = new UnpackBudget(5 * 64 * 1024 - 1);
    const { bytes, error } = await drain(chain(chunks(8, 64 * 1024), new BoundedOutput(budget, () => 1e9, 1000, 'x.gz')));
    expect(bytes).toBeLessThanOrEqual(4 * 64 * 1024);
    expect(error?.message).toBe('x.gz unpacks to more than 327679 bytes (limits.maxUnpackedBytes); raise the limit if this file is genuine');
  });

  it('should share one budget between layers', async () => {
    const budget = new UnpackBudget(1000);
    await drain(chain(chunks(2, 300), new BoundedOutput(budget, () => 1e9, 1000, 'outer')));
    const { error } = await drain(chain(chunks(2, 300), new BoundedOutput(budget, () => 1e9, 1000, 'inner')));
    expect([budget.used, error?.message.startsWith('inner unpacks to more than 1000 bytes')]).toEqual([1200, true]);
  });

  it('should check the ratio against the compressed bytes consumed at each chunk, after the floor', async () => {
    let consumed = 0;
    const counted = chunks(64, 64 * 1024).map((chunk: Buffer) => {
      consumed += 64;
      return chunk;
    });
    const { bytes, error } = await drain(chain(counted, new BoundedOutput(new UnpackBudget(1e12), () => consumed, 100, 'bomb.gz')));
    expect(error?.message).toBe('bomb.gz expands more than 100x (limits.maxCompressionRatio): refusing a likely decompression bomb');
    expect(bytes).toBe(RATIO_FLOOR_BYTES);
  });

  it('should let a highly compressible file under the floor through', async () => {
    const { bytes, error } = await drain(chain(chunks(16, 64 * 1024), new BoundedOutput(new UnpackBudget(1e12), () => 10, 100, 'tiny.gz')));
    expect([bytes, error]).toEqual([RATIO_FLOOR_BYTES, undefined]);
  });

  it('when told to hand on later, should pass a checked chunk on after the writer\'s call returns, not inside it', async () => {
    for (const later of [false, true]) {
      const bounded = new BoundedOutput(new UnpackBudget(1e12), () => 1e12, 100, 'x.gz', undefined, later);
      const seen: string[] = [];
      bounded.on('data', () => seen.push('data'));
      bounded.write(Buffer.alloc(1024));
      seen.push('write returned');
      await new Promise((resolve) => process.nextTick(resolve));
      expect(seen).toEqual(later ? ['write returned', 'data'] : ['data', 'write returned']);
    }
  });

  it('when told to hand on later, should still refuse the chunk that crosses the budget before anything of it passes', async () => {
    const bounded = new BoundedOutput(new UnpackBudget(3 * 64 * 1024), () => 1e12, 1e6, 'big.gz', undefined, true);
    const { bytes, error } = await drain(chain(chunks(5, 64 * 1024), bounded));
    expect(bytes).toBe(3 * 64 * 1024);
    expect(error?.message).toBe('big.gz unpacks to more than 196608 bytes (limits.maxUnpackedBytes); raise the limit if this file is genuine');
  });
});
