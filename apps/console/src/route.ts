import { useEffect, useState } from 'preact/hooks';

/** A page of the console, from the URL's hash (`#/jobs/<id>`), so the server serves one page only. */
export type Route =
  | { readonly page: 'providers' }
  | { readonly page: 'jobs' }
  | { readonly page: 'job'; readonly id: string }
  | { readonly page: 'ledger'; readonly provider?: string };

/** Reads a hash such as `#/jobs/7fc8...` or `#/ledger?provider=example`. */
export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'jobs' && parts[1]) return { page: 'job', id: decodeURIComponent(parts[1]) };
  if (parts[0] === 'jobs') return { page: 'jobs' };
  if (parts[0] === 'ledger') return { page: 'ledger', provider: new URLSearchParams(query).get('provider') ?? undefined };
  return { page: 'providers' };
}

/** The link to a route. */
export function href(route: Route): string {
  switch (route.page) {
    case 'job':
      return `#/jobs/${encodeURIComponent(route.id)}`;
    case 'jobs':
      return '#/jobs';
    case 'ledger':
      return route.provider ? `#/ledger?provider=${encodeURIComponent(route.provider)}` : '#/ledger';
    default:
      return '#/providers';
  }
}

/** The current route, following the hash. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const follow = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', follow);
    return () => removeEventListener('hashchange', follow);
  }, []);
  return route;
}
