/** Options every command takes. */
export interface GlobalArgs {
  config?: string;
}
