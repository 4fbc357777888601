import type { LoadedConfig, ProviderPlugin } from '@octo/core';
import type { DestinationStream } from 'pino';
import type { ApiConfigInput } from './config/api-config.js';
import { createOctoApi, type OctoApi } from './create-octo-api.js';

/** What `octo serve` passes: the config, the plugins, and flag overrides. */
export interface ServeOptions {
  readonly loaded: LoadedConfig;
  readonly plugins: ReadonlyArray<ProviderPlugin<unknown>>;
  readonly api?: Partial<ApiConfigInput>;
  /** Where the server's log lines go (default: stdout). */
  readonly logDestination?: DestinationStream;
  /** The built web console, served at `/` (see {@link OctoApiOptions.consoleAssetsDir}). */
  readonly consoleAssetsDir?: string;
  /** Called with the URL once the server listens. */
  readonly onListening?: (url: string) => void;
}

/**
 * Runs the API until SIGTERM or SIGINT: then it stops accepting requests, lets running
 * files finish within the shutdown deadline, aborts the rest cleanly, and resolves.
 * A second signal during shutdown cancels running jobs at once.
 */
export async function serveOctoApi(options: ServeOptions): Promise<{ api: OctoApi; stopped: Promise<{ finished: number; cancelled: number; abandoned: number }> }> {
  const api = await createOctoApi({ loaded: options.loaded, plugins: options.plugins, api: options.api, logDestination: options.logDestination, consoleAssetsDir: options.consoleAssetsDir });
  const url = await listenOrShutDown(api);
  options.onListening?.(url);
  const stopped = new Promise<{ finished: number; cancelled: number; abandoned: number }>((resolve, reject) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals += 1;
      if (signals === 1) {
        api.app.log.info({ signal }, 'signal received');
        api.shutdown().then(resolve, reject).finally(() => {
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
        });
      } else {
        api.app.log.warn({ signal }, 'second signal: cancelling running jobs now');
        // shutdown() is already under way (and returns that same run): cancel its jobs directly.
        void api.jobs.drain(0);
      }
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  return { api, stopped };
}

/** Listens; when the port cannot be had, releases what the API opened before saying why. */
async function listenOrShutDown(api: OctoApi): Promise<string> {
  try {
    return await api.listen();
  } catch (error) {
    await api.shutdown().catch(() => undefined);
    throw error;
  }
}
