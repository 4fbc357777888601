/** An error answer of the API: its status and its message (what is wrong and what to do). */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** On a 409: the job that holds the provider. */
    readonly jobId?: string,
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

let csrfToken: string | null = null;
const signedOutListeners = new Set<(message: string) => void>();

/** The session's CSRF token, sent as X-Octo-CSRF on every POST and DELETE (null when signed out). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the API refuses the session (it expired, or was ended elsewhere). */
export function onSignedOut(listener: (message: string) => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

/**
 * One call to the API, same-origin with the session cookie (the token itself is never held by
 * the page after sign-in). Answers the JSON body; an error answer throws its message.
 */
export async function request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-octo-csrf'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiRequestError(0, 'the server cannot be reached: is octo serve still running?');
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const json = parseJson(text) as { message?: string; jobId?: string } | undefined;
  if (!response.ok) {
    const message = json?.message ?? `${response.status} ${response.statusText}`;
    if (response.status === 401 && path !== '/v1/session') for (const listener of signedOutListeners) listener(message);
    throw new ApiRequestError(response.status, message, json?.jobId);
  }
  return json as T;
}

/** A path segment or query value, encoded. */
export function q(value: string): string {
  return encodeURIComponent(value);
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/** The message of whatever was thrown. */
export function messageOf(caught: unknown): string {
  return caught instanceof Error ? caught.message : String(caught);
}
