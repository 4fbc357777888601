import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { OctoError } from '../../errors/octo-error.js';

/** Longest name part a local filesystem holds (ext4, xfs, apfs, ntfs: 255 bytes). */
const MAX_SEGMENT_BYTES = 255;

const FIX = 'rename one of them at the provider or change the folder rule';

/**
 * Refuses, before anything is written, a key the local bucket folder cannot hold: a name part
 * longer than a filesystem allows, or a file-vs-folder clash (`a` is an object and `a/b` is
 * another), between the keys of one source (`siblings`) or with what the bucket already holds.
 */
export async function checkLocalKey(root: string, key: string, siblings: Iterable<string>): Promise<void> {
  const segments = key.split('/');
  const long = segments.find((segment) => Buffer.byteLength(segment) > MAX_SEGMENT_BYTES);
  if (long !== undefined) {
    throw new OctoError(
      'store',
      `the key ${shown(key)} has a name part of ${Buffer.byteLength(long)} bytes, more than the ${MAX_SEGMENT_BYTES} a local filesystem allows; shorten the name at the provider or change the folder rule`,
    );
  }
  for (const other of siblings) {
    if (other.startsWith(`${key}/`) || key.startsWith(`${other}/`)) {
      const [file, inside] = other.length < key.length ? [other, key] : [key, other];
      throw new OctoError('store', `the keys ${shown(file)} and ${shown(inside)} cannot both be stored in a local bucket folder: ${shown(file)} would have to be a file and a folder at once; ${FIX}`);
    }
  }
  for (let i = 1; i < segments.length; i += 1) {
    const ancestor = segments.slice(0, i).join('/');
    const info = await lstat(path.join(root, ancestor)).catch(() => undefined);
    if (info && !info.isDirectory()) {
      throw new OctoError('store', `the key ${shown(key)} cannot be stored: the bucket already holds an object ${shown(ancestor)}, and a local bucket folder cannot also have a folder of that name; ${FIX}`);
    }
    if (!info) return;
  }
  const info = await lstat(path.join(root, key)).catch(() => undefined);
  if (info?.isDirectory()) {
    throw new OctoError('store', `the key ${shown(key)} cannot be stored: the bucket already holds objects under ${shown(`${key}/`)}, and a local bucket folder cannot also have a file of that name; ${FIX}`);
  }
}

function shown(key: string): string {
  return key.length > 160 ? `${key.slice(0, 80)}…${key.slice(-60)}` : key;
}
