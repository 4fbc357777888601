import { describe, expect, it } from 'vitest';
import { SessionStore } from './session-store.js';

describe(SessionStore, () => {
  describe('when sessions are created', () => {
    it('should give each a different random id and CSRF token, and find it by its id only', () => {
      const store = new SessionStore(60_000, () => 1000);
      const a = store.create();
      const b = store.create();
      expect(a.id).not.toBe(b.id);
      expect(a.session.csrfToken).not.toBe(b.session.csrfToken);
      expect(a.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(store.get(a.id)).toEqual({ csrfToken: a.session.csrfToken, createdAt: 1000, expiresAt: 61_000 });
      expect(store.get(`${a.id}x`)).toBeUndefined();
      expect(store.get(undefined)).toBeUndefined();
      expect(store.size).toBe(2);
    });
  });

  describe('when a session reaches its expiry', () => {
    it('should refuse it from that millisecond on and drop it', () => {
      let now = 0;
      const store = new SessionStore(1000, () => now);
      const { id } = store.create();
      now = 999;
      expect(store.get(id)).toBeDefined();
      now = 1000;
      expect(store.get(id)).toBeUndefined();
      expect(store.size).toBe(0);
    });

    it('should drop every expired session when a new one starts', () => {
      let now = 0;
      const store = new SessionStore(1000, () => now);
      for (let i = 0; i < 5; i += 1) store.create();
      now = 2000;
      store.create();
      expect(store.size).toBe(1);
    });
  });

  describe('when a session is ended', () => {
    it('should refuse its id and leave the others', () => {
      const store = new SessionStore(60_000);
      const a = store.create();
      const b = store.create();
      store.end(a.id);
      expect(store.get(a.id)).toBeUndefined();
      expect(store.get(b.id)).toBeDefined();
    });
  });

  describe('csrfMatches', () => {
    it('should accept only the exact token', () => {
      const { session } = new SessionStore(60_000).create();
      expect(SessionStore.csrfMatches(session, session.csrfToken)).toBe(true);
      expect(SessionStore.csrfMatches(session, `${session.csrfToken} `)).toBe(false);
      expect(SessionStore.csrfMatches(session, '')).toBe(false);
      expect(SessionStore.csrfMatches(session, undefined)).toBe(false);
    });
  });
});
