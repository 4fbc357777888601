import { OctoError } from '../errors/octo-error.js';

/** Awaits `promise` and returns the OctoError it rejects with; throws if it resolves or fails otherwise. */
export async function octoFailure(promise: Promise<unknown>): Promise<OctoError> {
  try {
    await promise;
  } catch (error) {
    if (OctoError.is(error)) return error;
    throw error;
  }
  throw new Error('expected an OctoError, but the promise resolved');
}
