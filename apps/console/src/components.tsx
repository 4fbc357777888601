import type { ComponentChildren } from 'preact';

const STATUS_LABELS: Record<string, string> = {
  queued: 'queued',
  running: 'running',
  succeeded: 'succeeded',
  partial: 'partial: some files failed',
  failed: 'failed',
  cancelled: 'cancelled',
  interrupted: 'interrupted',
  done: 'landed',
  pass: 'pass',
  warn: 'warning',
  fail: 'fail',
  skip: 'skipped',
  reading: 'reading',
};

/** A status as a word and a colour; the word alone carries the meaning (screen readers, colour blindness). */
export function StatusBadge(props: { status: string }) {
  return <span class={`status status-${props.status}`}>{STATUS_LABELS[props.status] ?? props.status}</span>;
}

/** A progress bar with its value in words for assistive technology. */
export function Progress(props: { percent: number; label: string }) {
  const percent = Math.max(0, Math.min(100, props.percent));
  return (
    <span class="progress">
      <progress max={100} value={percent} aria-label={props.label} />
      <span class="progress-text">{`${percent.toFixed(percent >= 100 || percent === 0 ? 0 : 1)}%`}</span>
    </span>
  );
}

/** An error a person can act on, announced when it appears. */
export function ErrorNote(props: { message: string | null | undefined }) {
  if (!props.message) return null;
  return (
    <p class="error" role="alert">
      {props.message}
    </p>
  );
}

/** A table that scrolls sideways on a narrow screen instead of squeezing its columns. */
export function TableFrame(props: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-frame" role="region" aria-label={props.label} tabIndex={0}>
      {props.children}
    </div>
  );
}
