import type { SessionView } from '@octo/server';
import { useState } from 'preact/hooks';
import { ApiRequestError, request } from '../api.js';
import { ErrorNote } from '../components.js';

/**
 * Sign-in with an API token (one of `api.tokens`). The token is posted once and exchanged for
 * the session cookie; the page forgets it at once.
 */
export function SignInPage(props: { message?: string; onSignedIn: (session: SessionView) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const input = form.elements.namedItem('token') as HTMLInputElement;
    const token = input.value.trim();
    if (!token) {
      setError('Paste the API token: one of the tokens the server is configured with (api.tokens).');
      input.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const session = await request<SessionView>('POST', '/v1/session', { token });
      input.value = '';
      props.onSignedIn(session);
    } catch (caught) {
      setError(caught instanceof ApiRequestError ? caught.message : String(caught));
      input.select();
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <h1>Octo console</h1>
      {props.message ? <p role="status">{props.message}</p> : null}
      <form onSubmit={(event) => void submit(event)} aria-describedby="token-help">
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" spellcheck={false} required autofocus />
        <p id="token-help" class="help">
          One of the tokens in the server's <code>api.tokens</code>. It is exchanged for a session cookie and not kept by this page.
        </p>
        <ErrorNote message={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
