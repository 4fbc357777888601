import { OctoError } from '../../errors/octo-error.js';

/** Where one zip entry's bytes lie, as its central-directory record and its local header say. */
export interface ZipEntryLayout {
  readonly name: string;
  /** Offset of the local header. */
  readonly start: number;
  /** Offset of the entry's data (after the local header, its name and extra field). */
  readonly dataStart: number;
  /** Sizes, CRC and method from the central directory. */
  readonly central: ZipSizes;
  /** The same fields from the local header; `undefined` when a data descriptor carries them instead. */
  readonly local?: ZipSizes;
}

/** The fields that a zip's central directory and local headers both state. */
export interface ZipSizes {
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly crc32: number;
  readonly method: number;
}

// ZIP64 puts the real sizes in an extra field and 0xffffffff in the header.
const ZIP64_MARKER = 0xffffffff;
const REFUSE = 'refusing a crafted archive; ask the provider for a zip written by an ordinary tool';

/**
 * Refuses a zip whose entries are not laid out as ordinary tools write them: ranges (local header
 * through compressed data) that overlap or share a body, which is how overlapping-entry zip bombs
 * multiply one compressed body many times; data that runs into the central directory; and local
 * headers whose sizes, CRC or method disagree with the central directory.
 */
export function assertZipLayout(entries: readonly ZipEntryLayout[], centralDirectoryOffset: number, label: string): void {
  for (const entry of entries) {
    const local = entry.local;
    if (!local) continue;
    for (const field of ['compressedSize', 'uncompressedSize', 'crc32', 'method'] as const) {
      const said = local[field];
      if (said === entry.central[field] || (field !== 'crc32' && field !== 'method' && said === ZIP64_MARKER)) continue;
      const what = { compressedSize: 'bytes (compressed)', uncompressedSize: 'bytes (uncompressed)', crc32: 'as its CRC-32', method: 'as its compression method' }[field];
      throw new OctoError(
        'unsafe',
        `${label}: zip entry "${printable(entry.name)}" says ${said} ${what} in its local header but ${entry.central[field]} in the central directory: ${REFUSE}`,
      );
    }
  }
  const spans = entries.map((entry) => ({ name: entry.name, start: entry.start, end: entry.dataStart + entry.central.compressedSize })).sort((a, b) => a.start - b.start || a.end - b.end);
  for (const [i, span] of spans.entries()) {
    const next = spans[i + 1];
    if (next && next.start < span.end) {
      throw new OctoError('unsafe', `${label}: zip entries "${printable(span.name)}" and "${printable(next.name)}" overlap (they share bytes of the archive): ${REFUSE}`);
    }
    if (span.end > centralDirectoryOffset) {
      throw new OctoError('unsafe', `${label}: zip entry "${printable(span.name)}" runs into the archive's central directory: ${REFUSE}`);
    }
  }
}

/** An entry name as it may appear in a message: control characters escaped, at most 200 characters (names are not yet checked here). */
function printable(name: string): string {
  return JSON.stringify(name).slice(1, -1).slice(0, 200);
}
