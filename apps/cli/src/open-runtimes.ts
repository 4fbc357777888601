import type { OctoRuntime } from '@octo/core';

/** The runtimes commands opened; kept apart from runtime.ts so main can close them without loading the pipeline. */
export const openedRuntimes: Array<Promise<OctoRuntime>> = [];

/** Closes every runtime a command opened (a Redis connection would keep the process alive). */
export async function closeRuntimes(): Promise<void> {
  for (const runtime of openedRuntimes.splice(0)) await (await runtime.catch(() => undefined))?.close();
}
