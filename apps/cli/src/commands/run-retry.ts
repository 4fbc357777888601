import { QuarantineBook, TYPES } from '@octo/core';
import { printable } from '../output/terminal-text.js';
import { openRuntime } from '../runtime.js';
import type { RetryArgs } from './retry.js';

/** Runs `octo retry`: removes the file's failure record from the bucket; the next run tries it again. */
export async function runRetry(args: RetryArgs): Promise<void> {
  const runtime = await openRuntime(args);
  const handle = await runtime.providers.create(args.provider);
  const book = new QuarantineBook(handle.container.get(TYPES.ObjectStore), args.provider, handle.context.config.quarantine.after);
  const released = await book.release(args.path);
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ provider: args.provider, released }, null, 2)}\n`);
    return;
  }
  for (const entry of released) {
    const state = entry.quarantined ? `quarantined after ${entry.attempts} failed runs` : `${entry.attempts} failed run(s), not quarantined yet`;
    process.stdout.write(`${args.provider}: released ${printable(entry.path)} (${state}; last: ${printable(entry.lastReason)}); the next sync of ${args.provider} takes it again\n`);
  }
}
