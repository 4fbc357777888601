import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A signed-in console session: what the server keeps for one session cookie. */
export interface ConsoleSession {
  /** Must come back in the `X-Octo-CSRF` header of every state-changing request made with the cookie. */
  readonly csrfToken: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/** The name of the session cookie the console signs in with. */
export const SESSION_COOKIE = 'octo_session';

/**
 * Console sessions, server-side and in this process's memory: the cookie carries only a random
 * id (256 bits), never the API token, and the store keeps only the id's sha256, so a heap dump
 * or log line holds nothing a client could present. A session ends at its expiry or when it is
 * ended (sign-out); a restart of the process ends them all.
 */
export class SessionStore {
  private readonly sessions = new Map<string, ConsoleSession>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts a session; the id goes into the cookie and nowhere else. */
  create(): { id: string; session: ConsoleSession } {
    this.sweep();
    const id = randomBytes(32).toString('base64url');
    const createdAt = this.now();
    const session = { csrfToken: randomBytes(32).toString('base64url'), createdAt, expiresAt: createdAt + this.ttlMs };
    this.sessions.set(digest(id), session);
    return { id, session };
  }

  /** The live session of a cookie value, or undefined when it is unknown, ended or expired. */
  get(id: string | undefined): ConsoleSession | undefined {
    if (!id) return undefined;
    const key = digest(id);
    const session = this.sessions.get(key);
    if (!session) return undefined;
    if (session.expiresAt <= this.now()) {
      this.sessions.delete(key);
      return undefined;
    }
    return session;
  }

  /** Ends a session: its cookie is refused from now on. */
  end(id: string | undefined): void {
    if (id) this.sessions.delete(digest(id));
  }

  /** How many sessions are live (expired ones are dropped first). */
  get size(): number {
    this.sweep();
    return this.sessions.size;
  }

  /** Compares a presented CSRF token with the session's in constant time. */
  static csrfMatches(session: ConsoleSession, presented: string | undefined): boolean {
    if (typeof presented !== 'string') return false;
    return timingSafeEqual(createHash('sha256').update(presented).digest(), createHash('sha256').update(session.csrfToken).digest());
  }

  // Expired sessions go when a new one starts, so the map stays as large as the live ones.
  private sweep(): void {
    const now = this.now();
    for (const [key, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(key);
  }
}

function digest(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}
