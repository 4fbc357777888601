// The bench's arithmetic: medians of interleaved runs, ratios against peers, targets met or not.
// Pure functions, so the one thing a spec can check about a benchmark (its own logic) is checked.

/** One measured run of one case. */
export interface Sample {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly maxRssKiB: number;
}

/** The median of a case's runs, per measure. */
export interface CaseSummary {
  readonly runs: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly maxRssKiB: number;
}

/** The middle value (mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  const at = (index: number) => sorted[index] ?? Number.NaN;
  return sorted.length % 2 === 1 ? at(middle) : (at(middle - 1) + at(middle)) / 2;
}

/** Each measure's median over the samples (each measure on its own, as the runs are noisy independently). */
export function summarise(samples: readonly Sample[]): CaseSummary {
  return {
    runs: samples.length,
    seconds: median(samples.map((sample) => sample.seconds)),
    cpuSeconds: median(samples.map((sample) => sample.cpuSeconds)),
    maxRssKiB: median(samples.map((sample) => sample.maxRssKiB)),
  };
}

/** How a comparison reads: `faster` is peer time / Octo time (>1 = Octo faster); `lower` is Octo's figure / the peer's (<= target is good). */
export type Direction = 'faster' | 'lower';

/** A ratio and whether it meets its target (undefined target: printed for reference only). */
export interface Verdict {
  readonly ratio: number;
  readonly target?: number;
  readonly met?: boolean;
}

/** `faster`: peer / octo, met when >= target. `lower`: octo / peer, met when <= target. */
export function compare(octo: number, peer: number, direction: Direction, target?: number): Verdict {
  const ratio = direction === 'faster' ? peer / octo : octo / peer;
  if (target === undefined || !Number.isFinite(ratio)) return { ratio, target };
  return { ratio, target, met: direction === 'faster' ? ratio >= target : ratio <= target };
}

/** Runs `rounds` rounds of every case in order (case 1, 2, ... then again), so drift on a shared machine hits every case alike. */
export function interleave<T>(cases: readonly T[], rounds: number): Array<{ round: number; item: T }> {
  const order: Array<{ round: number; item: T }> = [];
  for (let round = 1; round <= rounds; round += 1) for (const item of cases) order.push({ round, item });
  return order;
}

/** `1.23×`, or `n/a` when a peer did not run. */
export function formatRatio(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a';
}

/** Decimal megabytes per second (what `aws` and `rclone` print), or `n/a`. */
export function megabytesPerSecond(bytes: number, seconds: number): number {
  return seconds > 0 ? bytes / 1e6 / seconds : Number.NaN;
}

/** CPU-seconds per decimal gigabyte of output. */
export function cpuSecondsPerGigabyte(cpuSeconds: number, outputBytes: number): number {
  return outputBytes > 0 ? cpuSeconds / (outputBytes / 1e9) : Number.NaN;
}

/** Right-aligned text columns under a header. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((cell, index) => Math.max(cell.length, ...rows.map((row) => (row[index] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((cell, index) => (index === 0 ? cell.padEnd(widths[index] ?? 0) : cell.padStart(widths[index] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/** A Markdown table (for docs/performance.md). */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(header), `|${header.map((_, index) => (index === 0 ? '---' : '---:')).join('|')}|`, ...rows.map(line)].join('\n');
}
