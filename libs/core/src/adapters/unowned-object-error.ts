import { OctoError } from '../errors/octo-error.js';

/**
 * The commit error of a `PutOptions.ifAbsent` put whose key holds an object by then: one
 * that no source owns, which Octo never replaces. Kind `route`, the key named, what to do said.
 */
export function unownedObjectError(key: string, cause?: unknown): OctoError {
  return new OctoError(
    'route',
    `${key} already holds an object that no source owns (landed before key ownership, or written by another tool); the file failed rather than replace it: move or delete that object and the file lands on the next run`,
    { cause },
  );
}
