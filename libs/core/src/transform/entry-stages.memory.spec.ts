import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { CsvCheck } from './csv-check.js';
import { LineEndings } from './line-endings.js';
import { Utf8Check } from './utf8-check.js';

// A large entry through the checks and a rewrite, into a consumer slower than the producer:
// memory must stay flat (the stages keep backpressure and hold a chunk or a record at most).

const MiB = 1024 * 1024;
const context = { provider: 'big', file: { path: 'big.csv', size: 0, mtimeMs: 0 } };

describe('the entry stages on a large entry', () => {
  it('should check 96 MiB of CSV into a slow consumer, holding under 1 MiB in its streams and growing memory by less than 64 MiB', async () => {
    const row = Buffer.from('12345678,2026-11-01,"1,250.00",EUR,"a ""quoted"" note"\r\n');
    const rowsPerChunk = Math.floor((64 * 1024) / row.length);
    const chunk = Buffer.concat(Array.from({ length: rowsPerChunk }, () => row));
    const chunks = Math.ceil((96 * MiB) / chunk.length);
    const rows = chunks * rowsPerChunk;
    async function* csv() {
      yield Buffer.from('account,date,amount,currency,note\r\n');
      for (let i = 0; i < chunks; i += 1) yield chunk;
      yield Buffer.from(`TRAILER,${rows}\r\n`);
    }
    let seen = 0;
    let peak = 0;
    let buffered = 0;
    const stages = [
      new LineEndings('lf'),
      new Utf8Check(context, 'big.csv'),
      new CsvCheck(context, 'big.csv', { header: ['account', 'date', 'amount', 'currency', 'note'], trailer: /^TRAILER,(\d+)$/ }),
    ];
    const base = process.memoryUsage().rss;
    const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss - base)), 20);
    const slow = new Writable({
      highWaterMark: 64 * 1024,
      write(data: Buffer, _encoding, callback) {
        seen += data.length;
        // What the stages hold right now, both sides of each (garbage aside, all they keep).
        buffered = Math.max(buffered, stages.reduce((sum, stage) => sum + stage.writableLength + stage.readableLength, 0));
        // Every 16th chunk waits: a consumer (a store) slower than the checks.
        if (seen % (16 * chunk.length) < data.length) setTimeout(callback, 2);
        else setImmediate(callback);
      },
    });
    try {
      await pipeline([Readable.from(csv()), ...stages, slow]);
    } finally {
      clearInterval(sample);
    }
    expect(seen).toBe(chunks * chunk.length - rows + 'account,date,amount,currency,note\n'.length + `TRAILER,${rows}\n`.length);
    expect(buffered).toBeLessThan(MiB);
    expect(peak, `peak growth ${(peak / MiB).toFixed(1)} MiB`).toBeLessThan(64 * MiB);
  }, 120_000);
});
