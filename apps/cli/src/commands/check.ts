import type { ProviderCheck } from '@octo/core';
import type { CommandModule } from 'yargs';
import { ExitCode } from '../exit-codes.js';
import { table } from '../output/format.js';
import { UsageError } from '../usage-error.js';
import type { GlobalArgs } from './global-args.js';

/**
 * `octo check <provider..>` / `octo check --all`: every step of a provider's setup, pass or a
 * reason, with its time (secrets, keys, host key, login, listing, a read, the bucket). Writes
 * nothing but the bucket probe it removes again. Exit 0 when no step failed, 2 otherwise.
 */
export const checkCommand: CommandModule<GlobalArgs, GlobalArgs & { providers?: string[]; all: boolean; json: boolean }> = {
  command: 'check [providers..]',
  describe: "Check a provider's secrets, keys, SFTP host key, login, listing, a read and its bucket; writes nothing",
  builder: (yargs) =>
    yargs
      .positional('providers', { type: 'string', array: true })
      .option('all', { type: 'boolean', default: false, describe: 'check every configured provider' })
      .option('json', { type: 'boolean', default: false, describe: 'one JSON object per provider on stdout' }) as never,
  handler: async (args) => {
    const named = args.providers ?? [];
    if (args.all === named.length > 0) throw new UsageError(args.all ? 'name providers or --all, not both' : 'name the providers to check, or --all');
    // Loaded here, not at the top: `octo --help` must not load the pipeline.
    const [{ checkProvider }, { openRuntime }] = await Promise.all([import('@octo/core'), import('../runtime.js')]);
    const runtime = await openRuntime(args);
    const names = args.all ? runtime.providers.list().map((provider) => provider.name) : named;
    const results: ProviderCheck[] = [];
    for (const name of names) {
      const result = await checkProvider(runtime.providers, name);
      results.push(result);
      process.stdout.write(args.json ? `${JSON.stringify(result)}\n` : `${render(result)}\n\n`);
    }
    process.exitCode = results.every((result) => result.ok) ? ExitCode.Ok : ExitCode.Fatal;
  },
};

function render(result: ProviderCheck): string {
  const rows = result.steps.map((step) => [step.step, step.status, `${step.seconds.toFixed(3)}s`, step.detail]);
  return `${result.provider}: ${result.ok ? 'ready' : 'NOT ready'}\n${table(['step', 'status', 'time', 'detail'], rows)}`;
}
