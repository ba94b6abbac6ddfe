// Console sessions: a random id in an HttpOnly, SameSite=Strict cookie, the session itself kept in
// memory (a restart logs everyone out, which is fine for an operator console on one machine). Each
// session carries its CSRF token (synchronizer token pattern, OWASP CSRF Prevention Cheat Sheet).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface Session {
  id: string;
  csrfToken: string;
  createdAtMs: number;
  lastSeenAtMs: number;
}

export interface SessionStoreOptions {
  clock: () => number;
  /** A session unused this long ends; default 30 minutes. */
  idleMs?: number;
  /** A session ends this long after login whatever happens; default 12 hours. */
  maxAgeMs?: number;
  /** Most sessions kept; the oldest is dropped beyond it. Default 1000. */
  maxSessions?: number;
}

export interface SessionStore {
  create(): Session;
  /** The live session with this id (its idle timer restarted), or undefined. */
  get(id: string | undefined): Session | undefined;
  destroy(id: string): void;
  clear(): void;
  readonly size: number;
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Constant-time string comparison; hashing first hides the length too. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

export function createSessionStore(options: SessionStoreOptions): SessionStore {
  const idleMs = options.idleMs ?? 30 * 60_000;
  const maxAgeMs = options.maxAgeMs ?? 12 * 3_600_000;
  const maxSessions = options.maxSessions ?? 1000;
  const sessions = new Map<string, Session>();

  function expired(s: Session, now: number): boolean {
    return now - s.lastSeenAtMs > idleMs || now - s.createdAtMs > maxAgeMs;
  }

  function sweep(now: number): void {
    for (const [id, s] of sessions) if (expired(s, now)) sessions.delete(id);
    // Map iteration is insertion order: the first ones are the oldest logins.
    while (sessions.size >= maxSessions) {
      const oldest = sessions.keys().next().value;
      if (oldest === undefined) break;
      sessions.delete(oldest);
    }
  }

  return {
    create() {
      const now = options.clock();
      sweep(now);
      const session: Session = {
        id: randomBytes(32).toString('base64url'),
        csrfToken: randomBytes(32).toString('base64url'),
        createdAtMs: now,
        lastSeenAtMs: now,
      };
      sessions.set(session.id, session);
      return session;
    },
    get(id) {
      if (id === undefined || !/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
      const session = sessions.get(id);
      if (session === undefined) return undefined;
      const now = options.clock();
      if (expired(session, now)) {
        sessions.delete(id);
        return undefined;
      }
      session.lastSeenAtMs = now;
      return session;
    },
    destroy(id) {
      sessions.delete(id);
    },
    clear() {
      sessions.clear();
    },
    get size() {
      return sessions.size;
    },
  };
}

/**
 * Failed logins per client address in a sliding minute; beyond the limit the login form answers 429
 * without looking at the token, so the token cannot be guessed by trying.
 */
export interface LoginThrottle {
  allowed(key: string): boolean;
  failed(key: string): void;
  succeeded(key: string): void;
}

export function createLoginThrottle(options: { clock: () => number; maxFailures?: number; windowMs?: number }): LoginThrottle {
  const maxFailures = options.maxFailures ?? 10;
  const windowMs = options.windowMs ?? 60_000;
  const failures = new Map<string, number[]>();
  const recent = (key: string): number[] => {
    const now = options.clock();
    const list = (failures.get(key) ?? []).filter((t) => now - t < windowMs);
    if (list.length === 0) failures.delete(key);
    else failures.set(key, list);
    return list;
  };
  return {
    allowed: (key) => recent(key).length < maxFailures,
    failed(key) {
      const list = recent(key);
      list.push(options.clock());
      failures.set(key, list);
      if (failures.size > 10_000) failures.delete(failures.keys().next().value as string);
    },
    succeeded(key) {
      failures.delete(key);
    },
  };
}
