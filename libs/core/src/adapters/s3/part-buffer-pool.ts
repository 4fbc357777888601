/**
 * Part buffers kept for reuse. Without it every part is a fresh multi-MiB allocation that
 * lingers until the garbage collector runs, and peak memory follows the GC, not the queue.
 */
export class PartBufferPool {
  private readonly free: Buffer[] = [];
  private readonly mine = new WeakSet<Buffer>();

  constructor(private readonly keep: number) {}

  take(size: number): Buffer {
    const index = this.free.findIndex((buffer) => buffer.length === size);
    const [reused] = index >= 0 ? this.free.splice(index, 1) : [];
    if (reused) return reused;
    const buffer = Buffer.allocUnsafeSlow(size);
    this.mine.add(buffer);
    return buffer;
  }

  give(buffer: Buffer): void {
    // Only part buffers from take() come back (the last part of an object is a one-off).
    if (!this.mine.has(buffer)) return;
    if (this.free.length < this.keep) this.free.push(buffer);
    else this.mine.delete(buffer);
  }
}
