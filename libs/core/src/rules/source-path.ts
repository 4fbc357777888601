import type { RemoteFile } from '../ports/remote-source.js';
import { decodeNameBytes, percentDecodeBytes, percentEncodeBytes } from './name-bytes.js';

/** A listed path as Octo names it: `path` for people and keys, `rawPath` for the bytes when they differ. */
export interface SourcePath {
  readonly path: string;
  readonly rawPath?: string;
}

/**
 * Names a source file from the raw bytes of its path segments (relative to the source root):
 * each segment is read by {@link decodeNameBytes} (UTF-8, else Windows-1252), and when any
 * segment was not UTF-8 the exact bytes are kept, percent-encoded, as `rawPath`.
 */
export function sourcePathOf(segments: readonly Uint8Array[]): SourcePath {
  const decoded = segments.map((segment) => decodeNameBytes(segment));
  const path = decoded.map((segment) => segment.name).join('/');
  if (decoded.every((segment) => segment.encoding === 'utf-8')) return { path };
  const slash = Buffer.from('/');
  const raw = Buffer.concat(segments.flatMap((segment, index) => (index === 0 ? [segment] : [slash, segment])));
  return { path, rawPath: percentEncodeBytes(raw) };
}

/** The exact bytes of a source file's path: its `rawPath` when it has one, else `path` in UTF-8. */
export function sourcePathBytes(file: Pick<RemoteFile, 'path' | 'rawPath'>): Buffer {
  return file.rawPath === undefined ? Buffer.from(file.path, 'utf8') : percentDecodeBytes(file.rawPath);
}

/**
 * How ledger records and key claims name a source file, telling apart files whose names read
 * alike (a UTF-8 `café.csv` and a Windows-1252 `caf\xE9.csv`): its path when the name is UTF-8
 * (as it always was), else `<path> (bytes <rawPath>)`.
 */
export function sourceIdentity(file: Pick<RemoteFile, 'path' | 'rawPath'>): string {
  return file.rawPath === undefined ? file.path : `${file.path} (bytes ${file.rawPath})`;
}
