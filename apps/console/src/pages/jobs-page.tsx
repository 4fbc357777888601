import type { JobListView, ProviderListView } from '@octo/server';
import { useEffect, useState } from 'preact/hooks';
import { messageOf, q, request } from '../api.js';
import { ErrorNote, Progress, StatusBadge, TableFrame } from '../components.js';
import { formatBytes, formatDuration, formatTime } from '../format.js';
import { usePolling } from '../polling.js';
import { href } from '../route.js';

const STATUSES = ['running', 'queued', 'succeeded', 'partial', 'failed', 'cancelled', 'interrupted'];

/**
 * The jobs of every process (this API, `octo sync` from cron, other hosts on a shared store),
 * newest first, refreshed every 2 s: a job shows as it starts and as it ends.
 */
export function JobsPage() {
  const [jobs, setJobs] = useState<JobListView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [provider, setProvider] = useState('');
  const [status, setStatus] = useState('');
  const [providers, setProviders] = useState<string[]>([]);

  useEffect(() => {
    request<ProviderListView>('GET', '/v1/providers')
      .then((answer) => setProviders(answer.items.map((item) => item.name)))
      .catch(() => setProviders([]));
  }, []);

  usePolling(
    async () => {
      const query = [`limit=50`, provider ? `provider=${q(provider)}` : '', status ? `status=${q(status)}` : ''].filter(Boolean).join('&');
      try {
        setJobs(await request<JobListView>('GET', `/v1/jobs?${query}`));
        setError(null);
      } catch (caught) {
        setError(messageOf(caught));
      }
    },
    2000,
    [provider, status],
  );

  return (
    <>
      <h1>Jobs</h1>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          Provider
          <select value={provider} onChange={(event) => setProvider((event.currentTarget as HTMLSelectElement).value)}>
            <option value="">all</option>
            {providers.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select value={status} onChange={(event) => setStatus((event.currentTarget as HTMLSelectElement).value)}>
            <option value="">any</option>
            {STATUSES.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
      </form>
      <ErrorNote message={error} />
      {jobs === null && !error ? <p>Loading…</p> : null}
      {jobs?.items.length === 0 ? <p>No job yet{provider || status ? ' matches these filters' : ''}.</p> : null}
      {jobs && jobs.items.length > 0 ? (
        <TableFrame label="Jobs">
          <table class="stack" aria-describedby="jobs-count">
            <caption id="jobs-count">
              {jobs.items.length} of {jobs.total} job{jobs.total === 1 ? '' : 's'}, newest first; updated live
            </caption>
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Provider</th>
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
                <th scope="col">Files</th>
                <th scope="col">Read</th>
                <th scope="col">Landed</th>
                <th scope="col">Time</th>
              </tr>
            </thead>
            <tbody>
              {jobs.items.map((job) => (
                <tr key={job.id} data-job={job.id} data-status={job.status}>
                  <td data-label="Started">
                    <a href={href({ page: 'job', id: job.id })} aria-label={`Job of ${job.provider} started ${formatTime(job.startedAt ?? job.createdAt)}, ${job.status}`}>
                      {formatTime(job.startedAt ?? job.createdAt)}
                    </a>
                    {job.dryRun ? <span class="muted"> (dry run)</span> : null}
                  </td>
                  <td data-label="Provider">{job.provider}</td>
                  <td data-label="Status">
                    <StatusBadge status={job.status} />
                  </td>
                  <td data-label="Progress">
                    <Progress percent={job.progress.percent} label={`Progress of the ${job.provider} job`} />
                  </td>
                  <td data-label="Files">
                    {job.counts.succeeded} ok, {job.counts.failed} failed of {job.counts.total}
                  </td>
                  <td data-label="Read">{formatBytes(job.bytes.in)}</td>
                  <td data-label="Landed">{formatBytes(job.bytes.out)}</td>
                  <td data-label="Time">{formatDuration(job.durationMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableFrame>
      ) : null}
    </>
  );
}
