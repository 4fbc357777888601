/** Options every command takes. */
export interface GlobalArgs {
  config?: string;
  /** How many times `--verbose` was given. */
  verbose?: number;
  /** `--log-file`: JSON log lines go to this file instead of stderr. */
  'log-file'?: string;
}
