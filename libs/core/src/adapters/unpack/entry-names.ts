import { crc32 } from 'node:zlib';
import type * as tar from 'tar-stream';
import type yauzl from 'yauzl';
import { OctoError } from '../../errors/octo-error.js';
import { decodeNameBytes } from '../../rules/name-bytes.js';

/** Options for tar-stream's extract: header names as one character per byte, so their bytes can be read by the rule. */
// tar-stream's typings leave out its `filenameEncoding` option.
export const TAR_NAME_BYTES = { filenameEncoding: 'latin1' } as unknown as Parameters<typeof tar.extract>[0];

/** Options for yauzl: names as bytes (yauzl would read every name without the UTF-8 flag as CP437). */
export const ZIP_NAME_BYTES = { decodeStrings: false } as const;

/**
 * A tar entry's name by Octo's rule: a pax `path` is UTF-8 (POSIX says so); a ustar or GNU
 * long name is its bytes read as UTF-8 when valid, else as Windows-1252. A pax path that was
 * not valid UTF-8 (tar-stream leaves U+FFFD for its bytes) is refused rather than guessed.
 * `tarEntryName` expects a header read with {@link TAR_NAME_BYTES}.
 */
export function tarEntryName(header: tar.Header, label: string): string {
  const name = tarDisplayName(header);
  if (paxPathOf(header)?.includes('\uFFFD')) {
    throw new OctoError('unsafe', `${label}: tar entry "${name}" is refused: its pax path is not valid UTF-8; nothing from this file was landed`);
  }
  return name;
}

/** A tar entry's name for messages: as {@link tarEntryName} reads it, never refused. */
export function tarDisplayName(header: tar.Header): string {
  return paxPathOf(header) ?? decodeNameBytes(Buffer.from(header.name, 'latin1')).name;
}

function paxPathOf(header: tar.Header): string | undefined {
  return (header.pax as Record<string, string> | null | undefined)?.['path'];
}

/**
 * A zip entry's name by Octo's rule: an Info-ZIP Unicode Path field whose CRC matches the
 * stored name wins; otherwise the stored bytes are read as UTF-8 when valid (the UTF-8 flag
 * is often missing), else as CP437, the zip format's own character set. `zipEntryName`
 * expects an entry read with {@link ZIP_NAME_BYTES}.
 */
export function zipEntryName(entry: yauzl.Entry): string {
  const stored = entry.fileName as unknown as Buffer;
  for (const field of entry.extraFields) {
    // Version 1, then the CRC-32 of the stored name, then the UTF-8 name (APPNOTE 4.6.9).
    if (field.id !== 0x7075 || field.data.length < 6 || field.data[0] !== 1) continue;
    if (field.data.readUInt32LE(1) !== crc32(stored)) continue;
    const unicode = decodeNameBytes(field.data.subarray(5), 'cp437');
    if (unicode.encoding === 'utf-8') return unicode.name;
  }
  return decodeNameBytes(stored, 'cp437').name;
}
