/** Files done over the total, in percent with two decimals, as the legacy system reported it; 100 when there is nothing to do. */
export function progressPercent(filesDone: number, filesTotal: number): number {
  return filesTotal === 0 ? 100 : Math.round((filesDone / filesTotal) * 10_000) / 100;
}
