import { describe, expect, it } from 'vitest';
import { untilAborted } from './until-aborted.js';

describe(untilAborted, () => {
  it('should settle with the work when no abort comes', async () => {
    const controller = new AbortController();
    await expect(untilAborted(Promise.resolve(7), controller.signal, 'cancelled')).resolves.toBe(7);
    await expect(untilAborted(Promise.reject(new Error('boom')), controller.signal, 'cancelled')).rejects.toThrow('boom');
  });

  it('when the signal aborts while the work never settles, should reject at once with a cancelled error', async () => {
    const controller = new AbortController();
    const pending = untilAborted(new Promise<never>(() => undefined), controller.signal, 'the job was cancelled while the store was checked');
    controller.abort();
    await expect(pending).rejects.toMatchObject({ kind: 'cancelled', message: 'the job was cancelled while the store was checked' });
  });

  it('when the signal had already aborted, should reject without waiting', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(untilAborted(new Promise<never>(() => undefined), controller.signal, 'late')).rejects.toMatchObject({ kind: 'cancelled', message: 'late' });
  });
});
