import { OctoError } from '../errors/octo-error.js';

/** A provider already has a job running, in this process or another: one sync per provider at a time. */
export class JobConflictError extends OctoError {
  constructor(
    readonly provider: string,
    /** The running job, when known (a lock left without one says nothing). */
    readonly runningJobId: string | undefined,
    message = `provider ${provider} already has job ${runningJobId ?? '(unknown)'} running: one sync per provider at a time`,
  ) {
    super('config', message, { fatal: true });
  }
}
