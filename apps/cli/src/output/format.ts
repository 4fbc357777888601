import Table from 'cli-table3';
import prettyMs from 'pretty-ms';
import { printable } from './terminal-text.js';

/** `1536` -> `1.5 KiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** `1234` -> `1.2s`, `119_600` -> `1m 59.6s`: units carry over (never `1m60s`). */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  return prettyMs(Math.round(ms), { secondsDecimalDigits: ms < 60_000 ? 1 : 0, keepDecimalsOnWholeSeconds: false });
}

/** Borderless cells, two spaces apart, like `ls -l` and `rclone lsl`. */
const PLAIN = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
};

/**
 * A plain text table with left-aligned columns and a rule under the header. With `width` (a
 * terminal's columns) the widest columns wrap so every line fits; without one nothing wraps,
 * so lines in a log stay whole for grep. Cells are {@link printable}: a file name cannot forge a
 * row or send an escape sequence to the terminal.
 */
export function table(headers: readonly string[], cells: ReadonlyArray<readonly string[]>, width: number | undefined = process.stdout.isTTY ? process.stdout.columns : undefined): string {
  const rows = cells.map((row) => row.map(printable));
  const natural = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const colWidths = width ? fitColumns(natural, width - 2 * (headers.length - 1)) : natural;
  const out = new Table({
    head: [...headers],
    chars: PLAIN,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
    colWidths,
    wordWrap: true,
    wrapOnWordBoundary: false,
  });
  out.push(colWidths.map((w) => '-'.repeat(w)));
  for (const row of rows) out.push(headers.map((_, i) => row[i] ?? ''));
  return out
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

/** Narrows the widest columns first until they fit `room` (each keeps at least 8 characters). */
function fitColumns(widths: readonly number[], room: number): number[] {
  const out = [...widths];
  let excess = out.reduce((sum, w) => sum + w, 0) - room;
  while (excess > 0) {
    const widest = out.indexOf(Math.max(...out));
    if ((out[widest] ?? 0) <= 8) break;
    out[widest] = (out[widest] ?? 0) - 1;
    excess -= 1;
  }
  return out;
}
