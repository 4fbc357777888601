// Preloaded with `node --import` into a process under test: prints its peak RSS (KiB, Linux)
// to stderr when it exits, so a test can bound the memory of a real `octo sync` run.
process.once('exit', () => {
  process.stderr.write(`\nOCTO_MAX_RSS_KIB=${process.resourceUsage().maxRSS}\n`);
});
