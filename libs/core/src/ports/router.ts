import type { FileContext } from './file-context.js';

/** Turns an output name into its object key. */
export interface Router {
  route(entry: { name: string }, context: FileContext): string;
}
