import type { SessionView } from '@octo/server';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { onSignedOut, request, setCsrfToken } from './api.js';
import { JobPage } from './pages/job-page.js';
import { JobsPage } from './pages/jobs-page.js';
import { LedgerPage } from './pages/ledger-page.js';
import { ProvidersPage } from './pages/providers-page.js';
import { SignInPage } from './pages/sign-in-page.js';
import { href, useRoute, type Route } from './route.js';

/** A short message for the operator, shown and announced (role=status) until the next one. */
export type Notify = (message: string, tone?: 'info' | 'error') => void;

type SessionState = { state: 'checking' } | { state: 'signed-out'; message?: string } | { state: 'signed-in'; expiresAt: string | null };

/**
 * The console: sign-in, then the providers, the jobs (live), one job, and the ledger. Every
 * figure comes from the /v1 API with the session cookie; the page keeps no token.
 */
export function App() {
  const route = useRoute();
  const [session, setSession] = useState<SessionState>({ state: 'checking' });
  const [notice, setNotice] = useState<{ message: string; tone: 'info' | 'error' } | null>(null);
  const noticeAt = useRef(0);
  const notify = useCallback<Notify>((message, tone = 'info') => {
    noticeAt.current = Date.now();
    setNotice({ message, tone });
  }, []);
  // A notice belongs to the page it was given on, or to the one an action just opened.
  const routeKey = route.page === 'job' ? `job ${route.id}` : route.page;
  useEffect(() => {
    if (Date.now() - noticeAt.current > 1000) setNotice(null);
  }, [routeKey]);

  useEffect(() => {
    // A reload keeps the cookie: ask the API whether it still holds, and get the CSRF token back.
    request<SessionView>('GET', '/v1/session')
      .then((answer) => {
        setCsrfToken(answer.csrfToken);
        setSession({ state: 'signed-in', expiresAt: answer.expiresAt });
      })
      .catch(() => setSession({ state: 'signed-out' }));
    return onSignedOut((message) => {
      setCsrfToken(null);
      setSession({ state: 'signed-out', message });
    });
  }, []);

  const signedIn = (answer: SessionView) => {
    setCsrfToken(answer.csrfToken);
    setNotice(null);
    setSession({ state: 'signed-in', expiresAt: answer.expiresAt });
  };
  const signOut = async () => {
    try {
      await request('DELETE', '/v1/session');
    } finally {
      setCsrfToken(null);
      setNotice(null);
      setSession({ state: 'signed-out', message: 'Signed out.' });
    }
  };

  if (session.state === 'checking') return <p class="loading">Loading…</p>;
  if (session.state === 'signed-out') return <SignInPage message={session.message} onSignedIn={signedIn} />;
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Octo</span>
        <nav aria-label="Console">
          <NavLink route={{ page: 'providers' }} current={route} label="Providers" />
          <NavLink route={{ page: 'jobs' }} current={route} label="Jobs" />
          <NavLink route={{ page: 'ledger' }} current={route} label="Ledger" />
        </nav>
        <button type="button" class="secondary" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <div class={`notice notice-${notice?.tone ?? 'info'}`} role="status" aria-live="polite">
        {notice?.message ?? ''}
      </div>
      <main id="main" tabIndex={-1}>
        <Page route={route} notify={notify} />
      </main>
    </>
  );
}

function Page(props: { route: Route; notify: Notify }) {
  const { route, notify } = props;
  // A new page moves focus to its content, as a page load would, for keyboard and screen reader users.
  useEffect(() => {
    document.getElementById('main')?.focus();
  }, [route.page, route.page === 'job' ? route.id : '']);
  switch (route.page) {
    case 'job':
      return <JobPage id={route.id} notify={notify} />;
    case 'jobs':
      return <JobsPage />;
    case 'ledger':
      return <LedgerPage provider={route.provider} />;
    default:
      return <ProvidersPage notify={notify} />;
  }
}

function NavLink(props: { route: Route; current: Route; label: string }) {
  const active = props.current.page === props.route.page || (props.route.page === 'jobs' && props.current.page === 'job');
  return (
    <a href={href(props.route)} aria-current={active ? 'page' : undefined}>
      {props.label}
    </a>
  );
}
