/** An error answered with its own HTTP status and message (404 unknown provider, 409 busy, ...). */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    /** On 409: the job that holds the provider, or the job that already ended. */
    readonly jobId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  static is(value: unknown): value is ApiError {
    return value instanceof ApiError;
  }
}
