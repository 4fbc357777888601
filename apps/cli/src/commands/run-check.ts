import { checkProvider, type ProviderCheck } from '@octo/core';
import { ExitCode } from '../exit-codes.js';
import { table } from '../output/format.js';
import { openRuntime } from '../runtime.js';
import { UsageError } from '../usage-error.js';
import type { CheckArgs } from './check.js';

/** `octo check`'s work, loaded only when it runs (`octo --help` does not load the pipeline). */
export async function runCheck(args: CheckArgs): Promise<void> {
  const named = args.providers ?? [];
  if (args.all === named.length > 0) throw new UsageError(args.all ? 'name providers or --all, not both' : 'name the providers to check, or --all');
  const runtime = await openRuntime(args);
  const names = args.all ? runtime.providers.list().map((provider) => provider.name) : named;
  const results: ProviderCheck[] = [];
  for (const name of names) {
    const result = await checkProvider(runtime.providers, name);
    results.push(result);
    process.stdout.write(args.json ? `${JSON.stringify(result)}\n` : `${render(result)}\n\n`);
  }
  process.exitCode = results.every((result) => result.ok) ? ExitCode.Ok : ExitCode.Fatal;
}

function render(result: ProviderCheck): string {
  const rows = result.steps.map((step) => [step.step, step.status, `${step.seconds.toFixed(3)}s`, step.detail]);
  return `${result.provider}: ${result.ok ? 'ready' : 'NOT ready'}\n${table(['step', 'status', 'time', 'detail'], rows)}`;
}
