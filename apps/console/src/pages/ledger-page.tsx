import type { LedgerAnswerView, ProviderListView } from '@octo/server';
import { useEffect, useState } from 'preact/hooks';
import { messageOf, q, request } from '../api.js';
import { ErrorNote, TableFrame } from '../components.js';
import { formatBytes, formatTime } from '../format.js';
import { href } from '../route.js';

/**
 * The ledger search: what was ingested, when, from the ledger in the provider's bucket (so it
 * holds every machine's runs), by a glob on the source path and a time range.
 */
export function LedgerPage(props: { provider?: string }) {
  const [providers, setProviders] = useState<string[]>([]);
  const [provider, setProvider] = useState(props.provider ?? '');
  const [answer, setAnswer] = useState<LedgerAnswerView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    request<ProviderListView>('GET', '/v1/providers')
      .then((list) => {
        const names = list.items.map((item) => item.name);
        setProviders(names);
        setProvider((current) => current || names[0] || '');
      })
      .catch((caught) => setError(messageOf(caught)));
  }, []);

  const search = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const params = ['path', 'since', 'until', 'limit']
      .map((name) => [name, String(form.get(name) ?? '').trim()] as const)
      .filter(([, value]) => value !== '')
      .map(([name, value]) => `${name}=${q(value)}`);
    setBusy(true);
    setError(null);
    try {
      setAnswer(await request<LedgerAnswerView>('GET', `/v1/providers/${q(provider)}/ledger${params.length ? `?${params.join('&')}` : ''}`));
    } catch (caught) {
      setAnswer(null);
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h1>Ledger</h1>
      <form class="filters" onSubmit={(event) => void search(event)}>
        <label>
          Provider
          <select name="provider" value={provider} onChange={(event) => setProvider((event.currentTarget as HTMLSelectElement).value)} required>
            {providers.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Source path (glob)
          <input name="path" type="search" placeholder="in/statements_*" aria-describedby="ledger-help" />
        </label>
        <label>
          Since
          <input name="since" placeholder="7d or 2026-11-01" aria-describedby="ledger-help" />
        </label>
        <label>
          Until
          <input name="until" placeholder="2026-11-02T06:00:00Z" aria-describedby="ledger-help" />
        </label>
        <label>
          At most
          <input name="limit" type="number" min={1} max={10000} placeholder="1000" />
        </label>
        <button type="submit" disabled={busy || !provider}>
          {busy ? 'Searching…' : 'Search'}
        </button>
      </form>
      <p id="ledger-help" class="help">
        Times: a date, an ISO time, or back from now (90m, 36h, 7d). The path glob matches the path in the drop, e.g. <code>**/*.csv.gpg</code>.
      </p>
      <ErrorNote message={error} />
      {answer ? (
        <>
          <p role="status">
            {answer.matched} record{answer.matched === 1 ? '' : 's'} matched{answer.truncated ? `; showing the newest ${answer.records.length}: narrow the search or raise the limit` : ''}.
          </p>
          {answer.records.length > 0 ? (
            <TableFrame label="Ledger records">
              <table class="stack">
                <thead>
                  <tr>
                    <th scope="col">Ingested</th>
                    <th scope="col">Source path</th>
                    <th scope="col">Size</th>
                    <th scope="col">Landed as</th>
                    <th scope="col">Job</th>
                  </tr>
                </thead>
                <tbody>
                  {answer.records.map((record) => (
                    <tr key={`${record.path} ${record.ingestedAt}`} data-path={record.path}>
                      <td data-label="Ingested">{formatTime(record.ingestedAt)}</td>
                      <td data-label="Source path" class="wrap">
                        {record.path}
                        <br />
                        <span class="muted">sha256 {record.sha256.slice(0, 16)}…</span>
                        {record.supersedes ? <span class="muted"> (a resend)</span> : null}
                      </td>
                      <td data-label="Size">{formatBytes(record.size)}</td>
                      <td data-label="Landed as" class="wrap">
                        <ul class="plain">
                          {record.outputs.map((output) => (
                            <li key={output.key}>
                              <code>{output.key}</code>
                            </li>
                          ))}
                        </ul>
                      </td>
                      <td data-label="Job">
                        <a href={href({ page: 'job', id: record.jobId })}>{record.jobId.slice(0, 8)}</a>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableFrame>
          ) : null}
        </>
      ) : null}
    </>
  );
}
