import type { Readable } from 'node:stream';

/**
 * Fails `output` when it makes no progress for `idleMs` after `input` ended, while its reader
 * is not the one holding it back. openpgp.js can stall for good on the garbage a wrong
 * passphrase yields in ciphers Octo cannot check early (CAST5, BLOWFISH, TWOFISH): the whole
 * file has been read, nothing more will come, so waiting longer only hangs the job.
 * Returns a function that stops the guard.
 */
export function stallGuard(input: Readable, output: Readable, idleMs: number, onStall: () => Error): () => void {
  let timer: NodeJS.Timeout | undefined;
  let inputEnded = false;
  const arm = () => {
    if (timer) clearTimeout(timer);
    if (!inputEnded || output.destroyed || output.readableEnded) return;
    timer = setTimeout(() => {
      // A full buffer means the reader is slow, not that decryption stalled.
      if (output.readableLength >= output.readableHighWaterMark) arm();
      else output.destroy(onStall());
    }, idleMs);
    timer.unref();
  };
  const onInputEnd = () => {
    inputEnded = true;
    arm();
  };
  if (input.readableEnded) onInputEnd();
  else input.once('end', onInputEnd);
  output.on('data', arm);
  const stop = () => {
    if (timer) clearTimeout(timer);
    input.off('end', onInputEnd);
    output.off('data', arm);
  };
  output.once('close', stop);
  output.once('end', stop);
  return stop;
}

/**
 * Settles as `work` does, or rejects with `onStall()` once `input` has ended and `work` still
 * has not settled `idleMs` later: the same stall as {@link stallGuard}, before any output exists.
 */
export function settleOrStall<T>(work: Promise<T>, input: Readable, idleMs: number, onStall: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      timer = setTimeout(() => reject(onStall()), idleMs);
      timer.unref();
    };
    if (input.readableEnded) arm();
    else input.once('end', arm);
    work.then(resolve, reject).finally(() => {
      if (timer) clearTimeout(timer);
      input.off('end', arm);
    });
  });
}
