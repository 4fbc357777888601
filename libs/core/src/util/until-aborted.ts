import { OctoError } from '../errors/octo-error.js';

/**
 * `work`, or a `cancelled` OctoError as soon as `signal` aborts: for calls that take no signal
 * themselves (a store check, a listing waiting for a connection), so a cancel does not wait for
 * their timeouts. The call itself goes on in the background; its outcome is ignored.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined, message: string): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(new OctoError('cancelled', message));
  }
  let onAbort = (): void => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new OctoError('cancelled', message));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  work.catch(() => undefined);
  return Promise.race([work, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}
