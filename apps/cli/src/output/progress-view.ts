import { formatBytes, formatDuration } from './format.js';
import { printable } from './terminal-text.js';

/** A file in flight, as the progress view shows it. */
export interface FileInFlight {
  readonly path: string;
  readonly size: number;
  readonly bytes: number;
  /** When it started, in ms since the epoch. */
  readonly startedAt: number;
}

/** What the progress view draws: the job's totals so far and the files in flight. */
export interface ProgressState {
  readonly provider: string;
  readonly filesDone: number;
  readonly filesFailed: number;
  readonly filesTotal: number;
  /** Bytes read so far, files in flight included. */
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly startedAt: number;
  /** Recent transfer rate in bytes per second (a moving window), if known yet. */
  readonly rate?: number;
  readonly inFlight: readonly FileInFlight[];
}

/**
 * The live view of a job, like `rclone -P`: bytes done of total with percent, rate and ETA,
 * files, errors, elapsed time, then one line per file in flight with its percent, size and own
 * rate. Every line is cut to `width - 1` characters, so the terminal never wraps one and a
 * redraw always covers what it drew before.
 */
export function renderProgress(state: ProgressState, now: number, width: number): string[] {
  const elapsed = now - state.startedAt;
  const rate = state.rate ?? (elapsed > 0 ? (state.bytesDone * 1000) / elapsed : 0);
  const remaining = Math.max(0, state.bytesTotal - state.bytesDone);
  const eta = rate > 0 ? formatDuration((remaining / rate) * 1000) : '-';
  const lines = [
    `${label('Transferred:')}${formatBytes(state.bytesDone)} / ${formatBytes(state.bytesTotal)}, ${percent(state.bytesDone, state.bytesTotal)}, ${formatBytes(rate)}/s, ETA ${remaining === 0 ? '0s' : eta}`,
    `${label('Files:')}${state.filesDone} / ${state.filesTotal}, ${percent(state.filesDone, state.filesTotal)} (${state.provider})`,
    `${label('Errors:')}${state.filesFailed}`,
    `${label('Elapsed time:')}${formatDuration(elapsed)}`,
  ];
  if (state.inFlight.length > 0) {
    lines.push('Transferring:');
    for (const file of state.inFlight) {
      const fileElapsed = now - file.startedAt;
      const fileRate = fileElapsed > 0 ? (file.bytes * 1000) / fileElapsed : 0;
      const detail = `: ${percent(file.bytes, file.size).padStart(4)} /${formatBytes(file.size)}, ${formatBytes(fileRate)}/s`;
      const room = Math.max(10, width - 1 - 3 - detail.length);
      lines.push(` * ${ellipsis(printable(file.path), room).padStart(Math.min(room, 36))}${detail}`);
    }
  }
  return lines.map((line) => cut(line, width - 1));
}

function label(text: string): string {
  return text.padEnd(14);
}

function percent(done: number, total: number): string {
  return `${total > 0 ? Math.floor((done / total) * 100) : 100}%`;
}

/** Keeps the end of a long path (the file name), marked with `...`. */
function ellipsis(text: string, room: number): string {
  return text.length <= room ? text : `...${text.slice(text.length - room + 3)}`;
}

function cut(line: string, room: number): string {
  return line.length <= room ? line : line.slice(0, Math.max(0, room));
}
