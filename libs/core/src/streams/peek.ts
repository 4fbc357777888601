import { PassThrough, type Readable } from 'node:stream';

/**
 * Reads the first `length` bytes of a stream (fewer if it ends sooner) and returns them
 * with a stream that still yields every byte, the peeked ones first.
 */
export async function peek(input: Readable, length: number): Promise<{ head: Buffer; stream: Readable }> {
  const chunks: Buffer[] = [];
  let have = 0;
  const iterator = input[Symbol.asyncIterator]();
  let ended = false;
  while (have < length) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as Uint8Array);
    chunks.push(chunk);
    have += chunk.length;
  }
  const prefix = Buffer.concat(chunks);
  const out = new PassThrough();
  out.write(prefix);
  if (ended) {
    out.end();
  } else {
    void (async () => {
      try {
        for (;;) {
          const next = await iterator.next();
          if (next.done) break;
          if (!out.write(next.value)) await new Promise<void>((resolve) => out.once('drain', resolve));
        }
        out.end();
      } catch (error) {
        out.destroy(error as Error);
      }
    })();
    out.once('close', () => {
      if (!out.writableFinished) void iterator.return?.();
    });
  }
  return { head: prefix.subarray(0, length), stream: out };
}
