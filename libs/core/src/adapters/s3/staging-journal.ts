import { createHash } from 'node:crypto';

/** The staging journal's folder in the store (see {@link S3ObjectStore.journalKey}). */
export const STAGING_JOURNAL = '_octo/staging/';

/** The journal's name for an output key: the key itself, or `#<sha256>` when nesting it would pass S3's 1,024-byte key limit. */
export function journalName(key: string): string {
  return Buffer.byteLength(key) > 900 ? `#${createHash('sha256').update(key).digest('hex')}` : key;
}
