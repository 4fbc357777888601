import { OctoError } from '../../errors/octo-error.js';
import { describeSystemError, isDiskFull, isSystemError } from '../../errors/system-error.js';

/**
 * Names a filesystem error of the local store as a `store` error about `key`, without the
 * absolute paths Node puts in its messages; anything else (a failing body) is returned as is.
 */
export function localStoreError(error: unknown, action: string, key: string): unknown {
  if (OctoError.is(error) || !isSystemError(error)) return error;
  if (isDiskFull(error)) {
    return new OctoError('store', `the bucket folder's disk is full (while trying to ${action} ${key}); free space there, then rerun`, { cause: error });
  }
  return new OctoError('store', `cannot ${action} ${key} in the bucket folder: ${describeSystemError(error)}`, { cause: error });
}
