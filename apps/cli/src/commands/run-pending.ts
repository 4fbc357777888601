import { formatBytes, table } from '../output/format.js';
import { openRuntime } from '../runtime.js';
import type { PendingArgs } from './pending.js';

/** Runs `octo pending`: the files on the drop that have no ledger record yet. */
export async function runPending(args: PendingArgs): Promise<void> {
  const runtime = await openRuntime(args);
  const handle = await runtime.providers.create(args.provider);
  const job = handle.syncJob();
  const source = handle.context.config.source.url;
  try {
    const files = await job.pending();
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ provider: args.provider, pending: files }, null, 2)}\n`);
      return;
    }
    if (files.length === 0) {
      process.stdout.write(`${args.provider}: nothing pending in ${source}\n`);
      return;
    }
    process.stdout.write(
      `${table(['file', 'size', 'modified', 'signature'], files.map((f) => [f.path, formatBytes(f.size), new Date(f.mtimeMs).toISOString(), f.signaturePath ?? '']))}\n`,
    );
    process.stdout.write(`\n${files.length} file(s) pending for ${args.provider}\n`);
  } finally {
    await job.close();
  }
}
