import type { Duplex } from 'node:stream';
import { constants, createGunzip, createZstdDecompress } from 'node:zlib';
import type { Compression } from '../../rules/layers.js';
import { DecoderProcess, type DecoderTool } from './decoder-process.js';

/** zlib's output chunk: its 16 KiB default spends more CPU in per-chunk callbacks than in inflating (256 KiB measured half the CPU of gunzip). */
export const GUNZIP_CHUNK_BYTES = 256 * 1024;

/**
 * The most memory one xz or zstd stream may make its decoder take. Both formats let the
 * sender choose the window (xz up to 1.5 GiB, zstd up to 2 GiB with `--long=31`), so a
 * hostile file could exhaust memory without writing a byte; 128 MiB decodes everything
 * `xz -9` and `zstd --long` (27) make. bzip2 needs under 4 MB by design, gzip 32 KiB.
 */
export const DECODER_MEMORY_BYTES = 128 * 1024 * 1024;

/** A decompressor stream and how many compressed bytes it has consumed (the ratio check's denominator). */
export interface Decompressor {
  readonly stream: Duplex;
  readonly consumed: () => number;
  /** The message for one of the decoder's own errors, or undefined for "damaged or truncated". */
  readonly explain: (error: Error & { errno?: number }) => string | undefined;
}

const ZSTD_WINDOW_LOG_MAX = Math.log2(DECODER_MEMORY_BYTES);

/** Single-threaded, as Octo already decodes several files at once. */
const XZ: DecoderTool = { command: 'xz', args: ['-dc', '-T1', `--memlimit-decompress=${DECODER_MEMORY_BYTES / (1024 * 1024)}MiB`], debianPackage: 'xz-utils', ext: '.xz' };
const BZIP2: DecoderTool = { command: 'bzip2', args: ['-dc'], debianPackage: 'bzip2', ext: '.bz2' };

/** A streaming decoder for one compression layer. */
export function createDecompressor(layer: Compression): Decompressor {
  switch (layer) {
    case 'gzip': {
      const stream = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
      // bytesWritten is what the inflater consumed, not what was queued for it.
      return { stream, consumed: () => stream.bytesWritten, explain: () => undefined };
    }
    case 'zstd': {
      const stream = createZstdDecompress({ chunkSize: GUNZIP_CHUNK_BYTES, params: { [constants.ZSTD_d_windowLogMax]: ZSTD_WINDOW_LOG_MAX } });
      return {
        stream,
        consumed: () => stream.bytesWritten,
        explain: (error) =>
          /too much memory/i.test(error.message) ? `its zstd frame asks for a window larger than ${mib(DECODER_MEMORY_BYTES)}, which Octo does not decode; ask the provider to compress without --long=28 or above` : undefined,
      };
    }
    case 'xz': {
      const stream = new DecoderProcess(XZ);
      return {
        stream,
        // Bytes handed to the tool: a pipe's worth ahead of what it consumed, which the ratio floor absorbs.
        consumed: () => stream.bytesFed,
        explain: (error) =>
          /memory usage limit/i.test(error.message) ? `its xz stream needs more than ${mib(DECODER_MEMORY_BYTES)} of memory to decode, which Octo refuses; ask the provider to compress with a preset of -9 or lower` : undefined,
      };
    }
    case 'bzip2': {
      const stream = new DecoderProcess(BZIP2);
      return { stream, consumed: () => stream.bytesFed, explain: () => undefined };
    }
  }
}

function mib(bytes: number): string {
  return `${bytes / (1024 * 1024)} MiB`;
}
