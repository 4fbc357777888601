import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { settleOrStall, stallGuard } from './stall-guard.js';

const idle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe(stallGuard, () => {
  it('when the input ended and the output makes no progress, should fail the output with the given error', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const errors: string[] = [];
    output.on('error', (error) => errors.push(error.message)).resume();
    stallGuard(input, output, 50, () => new Error('stalled'));
    input.end('all of it');
    input.resume();
    await idle(150);
    expect(errors).toEqual(['stalled']);
  });

  it('should leave alone an output that keeps flowing, and one whose input has not ended', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const errors: string[] = [];
    output.on('error', (error) => errors.push(error.message)).resume();
    stallGuard(input, output, 50, () => new Error('stalled'));
    await idle(120);
    input.end('x');
    input.resume();
    for (let i = 0; i < 5; i += 1) {
      output.write('more');
      await idle(20);
    }
    output.end();
    await idle(100);
    expect(errors).toEqual([]);
  });

  describe('settleOrStall', () => {
    it('should reject with the given error when the work never settles after the input ended', async () => {
      const input = new PassThrough();
      input.end('x');
      input.resume();
      await idle(10);
      await expect(settleOrStall(new Promise(() => undefined), input, 30, () => new Error('stalled'))).rejects.toThrow('stalled');
    });

    it('should pass on what the work settles with', async () => {
      const input = new PassThrough();
      await expect(settleOrStall(Promise.resolve(7), input, 30, () => new Error('stalled'))).resolves.toBe(7);
    });
  });
});
