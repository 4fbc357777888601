import { OctoError } from '../../errors/octo-error.js';

/** S3's limit on a key, in UTF-8 bytes; the local store keeps to it too, so both stores take the same keys. */
export const MAX_KEY_BYTES = 1024;

/** Refuses keys that could leave the bucket folder or hide in the staging area, and keys too long for a store. */
export function assertSafeKey(key: string): void {
  const segments = key.split('/');
  if (key.length === 0 || key.startsWith('/') || key.includes('\\') || segments.some((s) => s === '..' || s === '.' || s === '')) {
    throw new OctoError('unsafe', `object key "${key}" is not a safe relative key`);
  }
  const bytes = Buffer.byteLength(key);
  if (bytes > MAX_KEY_BYTES) {
    throw new OctoError('store', `the key ${key.slice(0, 80)}…${key.slice(-60)} is ${bytes} bytes long, more than the ${MAX_KEY_BYTES} an object key may have; shorten the names at the provider or change the folder rule`);
  }
}
