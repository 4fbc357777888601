import type { JobDetailView, PendingAnswerView, ProviderCheckView, ProviderListView, QuarantineAnswerView, ReleaseAnswerView } from '@octo/server';
import { useEffect, useState } from 'preact/hooks';
import { ApiRequestError, messageOf, q, request } from '../api.js';
import type { Notify } from '../app.js';
import { ErrorNote, StatusBadge } from '../components.js';
import { formatBytes, formatDuration, formatRelative, formatTime } from '../format.js';
import { usePolling } from '../polling.js';
import { href } from '../route.js';
import { LateAlert } from './late-alert.js';
import { QuarantineList, quarantinedFiles, type Quarantine } from './quarantine-list.js';

type Provider = ProviderListView['items'][number];
type Pending = { state: 'loading' } | { state: 'done'; answer: PendingAnswerView } | { state: 'error'; message: string };
type Check = { state: 'running' } | { state: 'done'; answer: ProviderCheckView } | { state: 'error'; message: string };

/**
 * Every configured provider: whether it is late, its last sync and result, next run, what runs
 * now, what is pending and what is quarantined; sync, check, and release a quarantined file.
 */
export function ProvidersPage(props: { notify: Notify }) {
  const [providers, setProviders] = useState<Provider[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState<Record<string, Pending>>({});
  const [checks, setChecks] = useState<Record<string, Check>>({});
  const [quarantines, setQuarantines] = useState<Record<string, Quarantine>>({});
  const [releasing, setReleasing] = useState<ReadonlySet<string>>(new Set());

  usePolling(async () => {
    try {
      setProviders((await request<ProviderListView>('GET', '/v1/providers')).items);
      setError(null);
    } catch (caught) {
      setError(messageOf(caught));
    }
  }, 5000);

  const loadPending = async (name: string) => {
    setPending((all) => ({ ...all, [name]: { state: 'loading' } }));
    try {
      const answer = await request<PendingAnswerView>('GET', `/v1/providers/${q(name)}/pending`);
      setPending((all) => ({ ...all, [name]: { state: 'done', answer } }));
    } catch (caught) {
      setPending((all) => ({ ...all, [name]: { state: 'error', message: messageOf(caught) } }));
    }
  };
  const loadQuarantine = async (name: string) => {
    try {
      const answer = await request<QuarantineAnswerView>('GET', `/v1/providers/${q(name)}/quarantine`);
      setQuarantines((all) => ({ ...all, [name]: { state: 'done', answer } }));
    } catch (caught) {
      setQuarantines((all) => ({ ...all, [name]: { state: 'error', message: messageOf(caught) } }));
    }
  };
  const refresh = (name: string) => {
    void loadPending(name);
    void loadQuarantine(name);
  };
  // Listing a drop is a connection to the partner's server: once when the page opens, then on demand.
  const names = providers?.map((provider) => provider.name).join(',') ?? '';
  useEffect(() => {
    for (const name of names.split(',').filter(Boolean)) refresh(name);
  }, [names]);

  const startSync = async (name: string) => {
    try {
      const job = await request<JobDetailView>('POST', `/v1/providers/${q(name)}/jobs`);
      props.notify(`Sync of ${name} started.`);
      location.hash = href({ page: 'job', id: job.id });
    } catch (caught) {
      if (caught instanceof ApiRequestError && caught.status === 409 && caught.jobId) {
        props.notify(`${name} is already syncing: showing that job.`);
        location.hash = href({ page: 'job', id: caught.jobId });
        return;
      }
      props.notify(`Sync of ${name} did not start: ${messageOf(caught)}`, 'error');
    }
  };

  const release = async (name: string, path: string) => {
    const key = `${name}\n${path}`;
    setReleasing((all) => new Set(all).add(key));
    try {
      await request<ReleaseAnswerView>('POST', `/v1/providers/${q(name)}/quarantine/release`, { path });
      props.notify(`Released ${path}: the next run of ${name} retries it.`);
      refresh(name);
    } catch (caught) {
      props.notify(`${path} was not released: ${messageOf(caught)}`, 'error');
    } finally {
      setReleasing((all) => {
        const next = new Set(all);
        next.delete(key);
        return next;
      });
    }
  };

  const runCheck = async (name: string) => {
    setChecks((all) => ({ ...all, [name]: { state: 'running' } }));
    try {
      const answer = await request<ProviderCheckView>('GET', `/v1/providers/${q(name)}/check`);
      setChecks((all) => ({ ...all, [name]: { state: 'done', answer } }));
      props.notify(`Check of ${name}: ${answer.ok ? 'every step passed' : 'a step failed'}.`, answer.ok ? 'info' : 'error');
    } catch (caught) {
      setChecks((all) => ({ ...all, [name]: { state: 'error', message: messageOf(caught) } }));
    }
  };

  return (
    <>
      <h1>Providers</h1>
      <ErrorNote message={error} />
      {providers === null && !error ? <p>Loading…</p> : null}
      {providers?.length === 0 ? <p>No provider is configured: add one under providers: in the config file.</p> : null}
      <div class="cards">
        {providers?.map((provider) => (
          <ProviderCard
            key={provider.name}
            provider={provider}
            pending={pending[provider.name]}
            check={checks[provider.name]}
            quarantine={quarantines[provider.name]}
            releasing={releasingOf(releasing, provider.name)}
            onSync={() => void startSync(provider.name)}
            onCheck={() => void runCheck(provider.name)}
            onPending={() => refresh(provider.name)}
            onRelease={(path) => void release(provider.name, path)}
          />
        ))}
      </div>
    </>
  );
}

/** The paths of one provider being released now. */
function releasingOf(releasing: ReadonlySet<string>, name: string): ReadonlySet<string> {
  return new Set([...releasing].filter((key) => key.startsWith(`${name}\n`)).map((key) => key.slice(name.length + 1)));
}

function ProviderCard(props: {
  provider: Provider;
  pending?: Pending;
  check?: Check;
  quarantine?: Quarantine;
  releasing: ReadonlySet<string>;
  onSync: () => void;
  onCheck: () => void;
  onPending: () => void;
  onRelease: (path: string) => void;
}) {
  const { provider, pending, check, quarantine } = props;
  const last = provider.lastJob;
  const headingId = `provider-${provider.name}`;
  return (
    <article class="card" aria-labelledby={headingId} data-provider={provider.name}>
      <h2 id={headingId}>{provider.name}</h2>
      {provider.description ? <p class="muted">{provider.description}</p> : null}
      <LateAlert provider={provider.name} late={provider.late} />
      <dl class="facts">
        <dt>Last sync</dt>
        <dd data-field="last-sync">
          {last ? (
            <>
              <StatusBadge status={last.status} />{' '}
              <a href={href({ page: 'job', id: last.id })}>{last.finishedAt ? `ended ${formatRelative(last.finishedAt)}` : `started ${formatRelative(last.startedAt ?? last.createdAt)}`}</a>
              <span class="muted">
                {' '}
                {last.counts.succeeded} landed, {last.counts.failed} failed of {last.counts.total}; {formatBytes(last.bytes.in)} read in {formatDuration(last.durationMs)}
              </span>
            </>
          ) : (
            'never synced'
          )}
        </dd>
        <dt>Next run</dt>
        <dd data-field="next-run">{provider.nextRunAt ? `${formatTime(provider.nextRunAt)} (${formatRelative(provider.nextRunAt)})` : 'not scheduled'}</dd>
        <dt>Running now</dt>
        <dd data-field="running">{provider.runningJobId ? <a href={href({ page: 'job', id: provider.runningJobId })}>a sync is running</a> : 'nothing'}</dd>
        <dt>Files pending</dt>
        <dd data-field="pending">
          <PendingFiles pending={pending} />
        </dd>
        <dt>Quarantined</dt>
        <dd data-field="quarantined">
          <QuarantineCount quarantine={quarantine} />
        </dd>
        <dt>Source</dt>
        <dd class="wrap">{provider.source}</dd>
        <dt>Bucket</dt>
        <dd class="wrap">{provider.bucket}</dd>
      </dl>
      <div class="actions">
        <button type="button" onClick={props.onSync} disabled={provider.runningJobId !== null}>
          Sync {provider.name} now
        </button>
        <button type="button" class="secondary" onClick={props.onCheck} disabled={check?.state === 'running'}>
          {check?.state === 'running' ? 'Checking…' : `Check ${provider.name}`}
        </button>
        <button type="button" class="secondary" onClick={props.onPending} disabled={pending?.state === 'loading'}>
          List pending files
        </button>
        <a class="button secondary" href={href({ page: 'ledger', provider: provider.name })}>
          Ledger
        </a>
      </div>
      <QuarantineList provider={provider.name} quarantine={quarantine} releasing={props.releasing} onRelease={props.onRelease} />
      <CheckResult check={check} />
    </article>
  );
}

function PendingFiles(props: { pending?: Pending }) {
  const { pending } = props;
  if (!pending || pending.state === 'loading') return <>listing the drop…</>;
  if (pending.state === 'error') return <span class="error-text">cannot list the drop: {pending.message}</span>;
  const { count, files, quarantined } = pending.answer;
  // Quarantined files are on the drop but not pending: say so, so the two figures add up.
  const besides = quarantined > 0 ? <span class="muted">{` (besides ${quarantined} quarantined)`}</span> : null;
  if (count === 0) return <>none{besides}</>;
  return (
    <>
      <details>
        <summary>
          {count} file{count === 1 ? '' : 's'}
        </summary>
        <ul class="plain">
          {files.map((file) => (
            <li key={file.path}>
              <code>{file.path}</code> <span class="muted">{formatBytes(file.size)}, modified {formatTime(file.modifiedAt)}</span>
            </li>
          ))}
          {count > files.length ? <li class="muted">and {count - files.length} more</li> : null}
        </ul>
      </details>
      {besides}
    </>
  );
}

function QuarantineCount(props: { quarantine?: Quarantine }) {
  const { quarantine } = props;
  if (!quarantine || quarantine.state === 'loading') return <>reading…</>;
  if (quarantine.state === 'error') return <span class="error-text">cannot read the quarantine: {quarantine.message}</span>;
  const count = quarantinedFiles(quarantine).length;
  if (count === 0) return <>none</>;
  return <strong class="error-text">{`${count} file${count === 1 ? '' : 's'}, skipped until released (listed below)`}</strong>;
}

function CheckResult(props: { check?: Check }) {
  const { check } = props;
  if (!check || check.state === 'running') return null;
  if (check.state === 'error') return <ErrorNote message={`The check could not run: ${check.message}`} />;
  return (
    <section class="check" aria-label={`Check of ${check.answer.provider}`}>
      <h3>Check: {check.answer.ok ? 'passed' : 'failed'}</h3>
      <ol class="plain">
        {check.answer.steps.map((step) => (
          <li key={step.step} data-step={step.step}>
            <StatusBadge status={step.status} /> <strong>{step.step}</strong> <span>{step.detail}</span> <span class="muted">{step.seconds.toFixed(2)} s</span>
          </li>
        ))}
      </ol>
    </section>
  );
}
