/** A command line that cannot be run as given: reported as usage (exit 2, "Run octo --help"), never as an unexpected error. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
