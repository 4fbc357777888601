// Node's compile cache for the CLI's modules: the bytecode V8 made for each module is kept on disk
// and reused by the next start (module.enableCompileCache, as tsc does). The cache sits beside the
// bundle, so a build starts it afresh and only the user who installed Octo writes it.
import module from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Turns the compile cache on in `dir` for every module loaded after this call. Left to node when
 * its own NODE_COMPILE_CACHE or NODE_DISABLE_COMPILE_CACHE is set; a folder that cannot be
 * written only leaves the cache off.
 */
export function enableCompileCache(dir) {
  if (process.env.NODE_COMPILE_CACHE || process.env.NODE_DISABLE_COMPILE_CACHE) return;
  module.enableCompileCache?.(fileURLToPath(dir));
}
