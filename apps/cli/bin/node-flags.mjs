// The V8 settings of the commands that move partner bytes (sync, retry, worker, serve). V8 grows
// its young generation to 2 x 32 MiB while the CLI loads its modules and keeps it for the whole
// run, though a streaming job's objects die young and small (its bytes are Buffers outside the
// heap); 8 MiB semi-spaces took 12 MiB off the median peak RSS of a 2 GiB file into S3 at the same
// CPU (docs/performance.md). V8 sizes the young generation when the process starts, so the flag
// must be on node's command line: the process re-executes itself once with it (same pid, the
// same arguments and environment) before it loads anything else.

/** The flags, as node takes them on its command line. */
export const STREAMING_NODE_FLAGS = ['--max-semi-space-size=8'];

/** The commands that stream partner bytes and run long enough for the second start to pay. */
const STREAMING_COMMANDS = new Set(['sync', 'retry', 'worker', 'serve']);

/**
 * Replaces this process with node run with {@link STREAMING_NODE_FLAGS} in front of its own flags,
 * when `args` (the command line after the script) names a streaming command. It returns (and the
 * process goes on as it is) for every other command, where node was given a semi-space size of
 * its own (in its flags or `NODE_OPTIONS`), and where `process.execve` is missing (Windows).
 */
export function relaunchWithStreamingFlags(args) {
  if (!args.some((arg) => STREAMING_COMMANDS.has(arg))) return;
  if (typeof process.execve !== 'function') return;
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  if (given.some((flag) => flag.startsWith('--max-semi-space-size'))) return;
  process.execve(process.execPath, [process.execPath, ...STREAMING_NODE_FLAGS, ...process.execArgv, process.argv[1], ...args], process.env);
}
