import type { JobDetailView, JobEventView } from '@octo/server';
import { useEffect, useRef, useState } from 'preact/hooks';
import { messageOf, q, request } from '../api.js';
import type { Notify } from '../app.js';
import { ErrorNote, Progress, StatusBadge, TableFrame } from '../components.js';
import { formatBytes, formatDuration, formatRate, formatTime } from '../format.js';

type FileResult = JobDetailView['files'][number];
type EventOf<T extends JobEventView['type']> = Extract<JobEventView, { type: T }>;
interface InFlight {
  readonly path: string;
  readonly size: number;
  readonly bytes: number;
  readonly startedAt: number;
  readonly updatedAt: number;
}
type Live = 'connecting' | 'live' | 'reconnecting' | 'ended';

/**
 * One job, live: its state from the job's event stream (`job.state` first, then every event as
 * it happens; a dropped connection resumes after the last event it saw), each file in flight
 * with its bytes and rate, each file's result with a failed file's reason, and cancel.
 */
export function JobPage(props: { id: string; notify: Notify }) {
  const { id, notify } = props;
  const [job, setJob] = useState<JobDetailView | null>(null);
  const [inFlight, setInFlight] = useState<ReadonlyMap<string, InFlight>>(new Map());
  const [live, setLive] = useState<Live>('connecting');
  const [error, setError] = useState<string | null>(null);
  const [onlyFailed, setOnlyFailed] = useState(false);
  const [cancelling, setCancelling] = useState(false);
  const [, setTick] = useState(0);
  // Sizes of the files seen starting: a file.done or file.failed event names the path only.
  const sizes = useRef(new Map<string, number>());

  useEffect(() => {
    let closed = false;
    setJob(null);
    setInFlight(new Map());
    setLive('connecting');
    setError(null);
    const refetch = () =>
      request<JobDetailView>('GET', `/v1/jobs/${q(id)}`)
        .then((answer) => !closed && setJob(answer))
        .catch((caught) => !closed && setError(messageOf(caught)));
    // Same origin: the browser sends the session cookie, so no token is ever put in the URL.
    const source = new EventSource(`/v1/jobs/${q(id)}/events`);
    const on = <T extends JobEventView['type'] | 'job.state' | 'end'>(type: T, handle: (data: T extends JobEventView['type'] ? EventOf<T> : JobDetailView) => void) =>
      source.addEventListener(type, (event) => {
        setLive('live');
        handle(JSON.parse((event as MessageEvent<string>).data));
      });
    on('job.state', (state) => {
      setJob(state);
      for (const file of state.inFlight) sizes.current.set(file.path, file.size);
      const now = Date.now();
      setInFlight(new Map(state.inFlight.map((file) => [file.path, { ...file, startedAt: now, updatedAt: now }])));
    });
    on('job.started', (event) =>
      setJob((current) => current && { ...current, status: 'running', startedAt: current.startedAt ?? event.at, progress: { ...current.progress, filesTotal: event.total, bytesTotal: event.totalBytes } }),
    );
    on('file.started', (event) => {
      sizes.current.set(event.path, event.size);
      setInFlight((current) => new Map(current).set(event.path, { path: event.path, size: event.size, bytes: 0, startedAt: Date.parse(event.at), updatedAt: Date.parse(event.at) }));
    });
    on('file.progress', (event) =>
      setInFlight((current) => {
        const known = current.get(event.path);
        const started = known?.startedAt ?? Date.parse(event.at);
        return new Map(current).set(event.path, { path: event.path, size: event.size, bytes: event.bytes, startedAt: started, updatedAt: Date.parse(event.at) });
      }),
    );
    const ended = (event: EventOf<'file.done'> | EventOf<'file.failed'>, result: (size: number) => FileResult) => {
      setInFlight((current) => {
        const next = new Map(current);
        next.delete(event.path);
        return next;
      });
      setJob((current) => {
        if (!current) return current;
        const file = result(sizes.current.get(event.path) ?? 0);
        const counts = { ...current.counts, total: event.progress.filesTotal, [file.status === 'done' ? 'succeeded' : 'failed']: current.counts[file.status === 'done' ? 'succeeded' : 'failed'] + 1 };
        return { ...current, progress: event.progress, counts, files: [...current.files.filter((known) => known.path !== event.path), file] };
      });
    };
    on('file.done', (event) => ended(event, (size) => ({ path: event.path, size, status: 'done', outputs: event.outputs, durationMs: event.durationMs, ...stagesOf(event) })));
    on('file.failed', (event) => ended(event, (size) => ({ path: event.path, size, status: 'failed', kind: event.kind, reason: event.reason, durationMs: event.durationMs, ...stagesOf(event) })));
    on('job.finished', () => void refetch());
    on('end', () => {
      source.close();
      setLive('ended');
      setInFlight(new Map());
      void refetch();
    });
    source.onerror = () => {
      if (closed) return;
      // CONNECTING: the browser retries with Last-Event-ID; CLOSED: the server said there is nothing more (204) or refused.
      if (source.readyState === EventSource.CLOSED) {
        setLive('ended');
        void refetch();
      } else setLive('reconnecting');
    };
    // Rates and elapsed times move on between events.
    const timer = setInterval(() => setTick((tick) => tick + 1), 1000);
    return () => {
      closed = true;
      source.close();
      clearInterval(timer);
    };
  }, [id]);

  const cancel = async () => {
    setCancelling(true);
    try {
      const answer = await request<JobDetailView>('DELETE', `/v1/jobs/${q(id)}`);
      setJob(answer);
      notify(answer.status === 'cancelled' ? 'Job cancelled: nothing partial landed; the next sync takes the files that were in flight.' : 'Cancelling: files in flight are being aborted.');
    } catch (caught) {
      notify(`The job was not cancelled: ${messageOf(caught)}`, 'error');
    } finally {
      setCancelling(false);
    }
  };

  if (!job) {
    return (
      <>
        <h1>Job</h1>
        <ErrorNote message={error} />
        {error ? null : <p>Loading…</p>}
      </>
    );
  }
  const running = job.status === 'running' || job.status === 'queued';
  const flying = [...inFlight.values()];
  const bytesNow = job.progress.bytesDone + (running ? flying.reduce((sum, file) => sum + file.bytes, 0) : 0);
  const elapsed = job.startedAt ? (job.finishedAt ? Date.parse(job.finishedAt) : Date.now()) - Date.parse(job.startedAt) : 0;
  const waiting = Math.max(0, job.progress.filesTotal - job.progress.filesDone - flying.length);
  const files = [...job.files].sort((a, b) => (a.status === b.status ? (a.path < b.path ? -1 : 1) : a.status === 'failed' ? -1 : 1));
  const shown = onlyFailed ? files.filter((file) => file.status === 'failed') : files;

  return (
    <>
      <h1>
        Job of {job.provider} <StatusBadge status={job.status} />
      </h1>
      <p class="muted">
        <code>{job.id}</code>
        {job.dryRun ? ' (dry run: nothing was written)' : ''} · <span data-field="live">{liveText(live)}</span>
      </p>
      <ErrorNote message={error} />
      {job.error ? <ErrorNote message={`The job failed (${job.error.kind}): ${job.error.reason}`} /> : null}
      {/* While it runs, the bytes read of files still in flight count too, so a large file moves the bar. */}
      <Progress percent={running && job.progress.bytesTotal > 0 ? Math.min(100, (bytesNow / job.progress.bytesTotal) * 100) : job.progress.percent} label="Job progress" />
      <dl class="facts wide">
        <dt>Files</dt>
        <dd data-field="files">
          {running && job.progress.filesTotal === 0 ? (
            'looking for new files…'
          ) : (
            <>
              {job.progress.filesDone} of {job.progress.filesTotal} done: {job.counts.succeeded} landed, {job.counts.failed} failed
              {running ? `, ${flying.length} in flight, ${waiting} waiting` : ''}
            </>
          )}
        </dd>
        <dt>Bytes</dt>
        <dd>
          {formatBytes(bytesNow)} of {formatBytes(job.progress.bytesTotal)} read{job.bytes.out ? `, ${formatBytes(job.bytes.out)} landed` : ''}
        </dd>
        <dt>Rate</dt>
        <dd>{formatRate(bytesNow, elapsed) || '–'}</dd>
        <dt>Started</dt>
        <dd>{formatTime(job.startedAt ?? job.createdAt)}</dd>
        <dt>{job.finishedAt ? 'Ended' : 'Running for'}</dt>
        <dd>{job.finishedAt ? `${formatTime(job.finishedAt)} after ${formatDuration(job.durationMs)}` : formatDuration(elapsed)}</dd>
      </dl>
      {running ? (
        <div class="actions">
          <button type="button" class="danger" onClick={() => void cancel()} disabled={cancelling}>
            {cancelling ? 'Cancelling…' : 'Cancel this job'}
          </button>
        </div>
      ) : null}

      {running && flying.length > 0 ? (
        <section aria-labelledby="in-flight">
          <h2 id="in-flight">In flight</h2>
          <TableFrame label="Files in flight">
            <table class="stack">
              <thead>
                <tr>
                  <th scope="col">File</th>
                  <th scope="col">Stage</th>
                  <th scope="col">Read</th>
                  <th scope="col">Rate</th>
                </tr>
              </thead>
              <tbody>
                {flying.map((file) => (
                  <tr key={file.path} data-file={file.path}>
                    <td data-label="File" class="wrap">
                      {file.path}
                    </td>
                    <td data-label="Stage">
                      <Progress percent={file.size ? (file.bytes / file.size) * 100 : 0} label={`${file.path} read`} /> reading, decrypting, unpacking, staging
                    </td>
                    <td data-label="Read">
                      {formatBytes(file.bytes)} of {formatBytes(file.size)}
                    </td>
                    <td data-label="Rate">{formatRate(file.bytes, file.updatedAt - file.startedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableFrame>
        </section>
      ) : null}

      <section aria-labelledby="results">
        <h2 id="results">Files</h2>
        <label class="inline">
          <input type="checkbox" checked={onlyFailed} onChange={(event) => setOnlyFailed((event.currentTarget as HTMLInputElement).checked)} /> Only failed files
        </label>
        {shown.length === 0 ? <p>{onlyFailed ? 'No file failed.' : running ? 'No file has ended yet.' : 'No file: there was nothing new to take.'}</p> : null}
        {shown.length > 0 ? (
          <TableFrame label="File results">
            <table class="stack">
              <thead>
                <tr>
                  <th scope="col">File</th>
                  <th scope="col">Result</th>
                  <th scope="col">Size</th>
                  <th scope="col">Time</th>
                  <th scope="col">Outputs or reason</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((file) => (
                  <FileRow key={file.path} file={file} />
                ))}
              </tbody>
            </table>
          </TableFrame>
        ) : null}
      </section>

      {job.plan && job.plan.length > 0 ? (
        <section aria-labelledby="plan">
          <h2 id="plan">Plan (dry run)</h2>
          <TableFrame label="Plan">
            <table class="stack">
              <thead>
                <tr>
                  <th scope="col">File</th>
                  <th scope="col">Layers</th>
                  <th scope="col">Key</th>
                </tr>
              </thead>
              <tbody>
                {job.plan.map((file) => (
                  <tr key={file.path}>
                    <td data-label="File" class="wrap">
                      {file.path}
                    </td>
                    <td data-label="Layers">{file.layers.join(' → ') || 'plain'}</td>
                    <td data-label="Key" class="wrap">
                      <code>{file.key}</code>
                      {file.conflict ? <span class="error-text"> conflict: owned by {file.conflict.owner} ({file.conflict.outcome})</span> : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableFrame>
        </section>
      ) : null}
    </>
  );
}

function FileRow(props: { file: FileResult }) {
  const { file } = props;
  return (
    <tr data-file={file.path} data-status={file.status}>
      <td data-label="File" class="wrap">
        {file.path}
      </td>
      <td data-label="Result">
        <StatusBadge status={file.status} />
        {file.status === 'failed' ? <span class="muted"> in {file.kind}</span> : null}
      </td>
      <td data-label="Size">{formatBytes(file.size)}</td>
      <td data-label="Time">
        {formatDuration(file.durationMs)}
        <StageList file={file} />
      </td>
      <td data-label={file.status === 'failed' ? 'Reason' : 'Outputs'} class="wrap">
        {file.status === 'failed' ? (
          <details class="reason">
            <summary>Why it failed</summary>
            <p>
              <strong>{file.kind}</strong>: {file.reason}
            </p>
          </details>
        ) : (
          <details>
            <summary>
              {file.outputs.length} object{file.outputs.length === 1 ? '' : 's'} landed
            </summary>
            <ul class="plain">
              {file.outputs.map((output) => (
                <li key={output.key}>
                  <code>{output.key}</code> <span class="muted">{formatBytes(output.size)}</span>
                </li>
              ))}
            </ul>
          </details>
        )}
      </td>
    </tr>
  );
}

/** The pipeline's stages in the order a file goes through them. */
const STAGES = ['read', 'decrypt', 'unpack', 'transform', 'store', 'commit'] as const;

/** Where a file spent its time: each stage it went through, with its time and the bytes out of it. */
function StageList(props: { file: FileResult }) {
  const stages = props.file.stages;
  if (!stages) return null;
  const ran = STAGES.flatMap((name) => {
    const stage = stages[name];
    return stage ? [{ name, ...stage }] : [];
  });
  if (ran.length === 0) return null;
  return (
    <details class="stages">
      <summary>Stages</summary>
      <ul class="plain" aria-label={`Stages of ${props.file.path}`}>
        {ran.map((stage) => (
          <li key={stage.name} data-stage={stage.name}>
            {stage.name} {formatDuration(stage.ms)} <span class="muted">{formatBytes(stage.bytes)}</span>
          </li>
        ))}
      </ul>
    </details>
  );
}

/** A file event's stage timings, when it carries them. */
function stagesOf(event: { readonly stages?: FileResult['stages'] }): Pick<FileResult, 'stages'> {
  return event.stages ? { stages: event.stages } : {};
}

function liveText(live: Live): string {
  switch (live) {
    case 'connecting':
      return 'connecting to the live stream…';
    case 'live':
      return 'live';
    case 'reconnecting':
      return 'connection lost, reconnecting…';
    default:
      return 'ended';
  }
}
