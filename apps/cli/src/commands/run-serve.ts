import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { consoleAssetsDir } from '@octo/console';
import { loadConfig, OctoError } from '@octo/core';
import { installedProviders } from '@octo/registry';
import { serveOctoApi } from '@octo/server';
import { cliLogDestination } from '../output/cli-logger.js';
import type { ServeArgs } from './serve.js';

/** Runs `octo serve` until SIGTERM or SIGINT; logs go to stderr (or `--log-file`), never to stdout. */
export async function runServe(args: ServeArgs): Promise<void> {
  const loaded = await loadConfig(args.config);
  const overrides = { ...(args.host !== undefined ? { host: args.host } : {}), ...(args.port !== undefined ? { port: args.port } : {}) };
  const readyFile = args['ready-file'];
  let served: Awaited<ReturnType<typeof serveOctoApi>>;
  let url = '';
  try {
    served = await serveOctoApi({
      loaded,
      plugins: installedProviders,
      api: overrides,
      consoleAssetsDir,
      logDestination: cliLogDestination({ logFile: args['log-file'] }),
      onListening: (listening) => {
        url = listening;
        // With --log-file the terminal stays the user's: the server's own log line says it.
        if (!args['log-file']) process.stderr.write(`octo: API listening on ${url}\n`);
      },
    });
  } catch (error) {
    throw listenError(error, args);
  }
  if (readyFile) {
    // Renamed into place, so a script waiting for the file never reads it half written.
    await mkdir(path.dirname(readyFile), { recursive: true });
    await writeFile(`${readyFile}.tmp`, `${url}\n`);
    await rename(`${readyFile}.tmp`, readyFile);
  }
  const result = await served.stopped;
  if (readyFile) await rm(readyFile, { force: true });
  const abandoned = result.abandoned > 0 ? `, ${result.abandoned} abandoned while a call to a source or store still waited` : '';
  process.stderr.write(`octo: API stopped (${result.finished} job(s) finished, ${result.cancelled} cancelled${abandoned})\n`);
  // An abandoned call may still hold a socket open: end the process now that everything is said.
  if (result.abandoned > 0) process.exit(0);
}

/** A port that is taken or not ours to open is a usage problem with what to do, not a stack trace. */
function listenError(error: unknown, args: ServeArgs): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const address = (error as { address?: string; port?: number } | undefined) ?? {};
  const where = `${address.address ?? args.host ?? 'the host'}:${address.port ?? args.port ?? 'the port'}`;
  if (code === 'EADDRINUSE') return new OctoError('config', `cannot listen on ${where}: the port is already in use (another octo serve?); stop that process, or pass --port (0 takes a free one)`, { cause: error });
  if (code === 'EACCES') return new OctoError('config', `cannot listen on ${where}: not allowed for this user (ports below 1024 need privileges); pass --port with a port from 1024 up`, { cause: error });
  if (code === 'EADDRNOTAVAIL') return new OctoError('config', `cannot listen on ${where}: no interface of this machine has that address; pass --host with one of its addresses`, { cause: error });
  return error;
}
