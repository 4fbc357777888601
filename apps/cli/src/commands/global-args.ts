/** Options every command takes. */
export interface GlobalArgs {
  config?: string;
  /** How many times `--verbose` was given. */
  verbose?: number;
}
