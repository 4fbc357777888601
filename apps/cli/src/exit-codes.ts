/** The documented exit statuses of `octo`. */
export const ExitCode = {
  /** Every file succeeded, or there was nothing to do. */
  Ok: 0,
  /** The job ran, but some files failed; the summary lists each with its reason. */
  FilesFailed: 1,
  /** Nothing ran: bad config or usage, unknown provider, unreachable source or store, provider busy. */
  Fatal: 2,
  /** The job was cancelled (SIGINT or SIGTERM); files in flight were aborted cleanly. */
  Cancelled: 130,
} as const;
