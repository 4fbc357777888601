import { OctoError } from '../../errors/octo-error.js';

/** Refuses keys that could leave the bucket folder or hide in the staging area. */
export function assertSafeKey(key: string): void {
  const segments = key.split('/');
  if (key.length === 0 || key.startsWith('/') || key.includes('\\') || segments.some((s) => s === '..' || s === '.' || s === '')) {
    throw new OctoError('unsafe', `object key "${key}" is not a safe relative key`);
  }
}
