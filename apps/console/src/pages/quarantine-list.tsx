import type { QuarantineAnswerView } from '@octo/server';
import { formatTime } from '../format.js';

/** The quarantine of one provider as the page holds it. */
export type Quarantine = { state: 'loading' } | { state: 'done'; answer: QuarantineAnswerView } | { state: 'error'; message: string };

/** The files runs skip, from a quarantine answer (it also lists failing files not yet quarantined). */
export function quarantinedFiles(quarantine: Quarantine | undefined): QuarantineAnswerView['files'] {
  return quarantine?.state === 'done' ? quarantine.answer.files.filter((file) => file.quarantined) : [];
}

/**
 * A provider's quarantined files: path, failed runs, last failure kind and reason, and a
 * Release button each (the next run takes the file again). Nothing when none is quarantined.
 */
export function QuarantineList(props: { provider: string; quarantine?: Quarantine; releasing: ReadonlySet<string>; onRelease: (path: string) => void }) {
  const files = quarantinedFiles(props.quarantine);
  if (files.length === 0) return null;
  const headingId = `quarantine-${props.provider}`;
  return (
    <section class="quarantine" aria-labelledby={headingId}>
      <h3 id={headingId}>Quarantined files of {props.provider}</h3>
      <p class="help">Runs skip these until released: fix the file on the drop (or what made it fail), then release it.</p>
      <ul class="plain">
        {files.map((file) => (
          <li key={file.path} data-quarantined={file.path}>
            <code class="wrap">{file.path}</code>{' '}
            <span class="muted" data-field="attempts">
              failed {file.attempts} run{file.attempts === 1 ? '' : 's'}, last {formatTime(file.lastFailedAt)}
            </span>
            <p class="reason" data-field="reason">
              <strong>{file.lastKind}</strong>: {file.lastReason}
            </p>
            <button type="button" class="secondary" aria-label={`Release ${file.path}`} onClick={() => props.onRelease(file.path)} disabled={props.releasing.has(file.path)}>
              {props.releasing.has(file.path) ? 'Releasing…' : 'Release'}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
