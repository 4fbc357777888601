import { OctoError } from '../errors/octo-error.js';

/** Calls `run` and returns the OctoError it throws; throws if it returns or throws anything else. The sync twin of `octoFailure`. */
export function octoThrown(run: () => unknown): OctoError {
  try {
    run();
  } catch (error) {
    if (OctoError.is(error)) return error;
    throw error;
  }
  throw new Error('expected an OctoError, but nothing was thrown');
}
