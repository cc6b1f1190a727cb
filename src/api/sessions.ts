// Login sessions (cloudstack-api.md §1.4): a session id carried by the JSESSIONID cookie and a session key the
// client echoes as the `sessionkey` parameter or cookie. Kept in memory: a restart logs everyone out, as a
// CloudStack management server restart does.
import { randomBytes } from 'node:crypto';
import type { ApiPrincipal } from './principal.ts';
import { signaturesMatch } from './signing.ts';

/** CloudStack's default session timeout (`session.timeout`, minutes) in seconds. */
export const SESSION_TIMEOUT_SECONDS = 30 * 60;

interface Session {
  id: string;
  key: string;
  principal: ApiPrincipal;
  expiresAt: number;
}

export class SessionStore {
  readonly #sessions = new Map<string, Session>();

  constructor(
    private readonly timeoutSeconds = SESSION_TIMEOUT_SECONDS,
    private readonly now: () => number = Date.now,
  ) {}

  create(principal: ApiPrincipal): { id: string; key: string } {
    this.#purgeExpired();
    const id = randomBytes(16).toString('hex').toUpperCase();
    // 20 random bytes, URL-safe Base64, like CloudStack's session key.
    const key = randomBytes(20).toString('base64url');
    this.#sessions.set(id, { id, key, principal, expiresAt: this.now() + this.timeoutSeconds * 1000 });
    return { id, key };
  }

  /** The principal when the session exists, is unexpired and `key` matches; refreshes the idle timeout. */
  validate(id: string | undefined, key: string | undefined): ApiPrincipal | undefined {
    if (!id || !key) return undefined;
    const session = this.#sessions.get(id);
    if (!session) return undefined;
    if (session.expiresAt < this.now()) {
      this.#sessions.delete(id);
      return undefined;
    }
    if (!signaturesMatch(session.key, key)) return undefined;
    session.expiresAt = this.now() + this.timeoutSeconds * 1000;
    return session.principal;
  }

  end(id: string | undefined): void {
    if (id) this.#sessions.delete(id);
  }

  #purgeExpired(): void {
    const now = this.now();
    for (const [id, session] of this.#sessions) if (session.expiresAt < now) this.#sessions.delete(id);
  }
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const separator = part.indexOf('=');
    if (separator <= 0) continue;
    const name = part.slice(0, separator).trim();
    const value = part.slice(separator + 1).trim().replace(/^"(.*)"$/, '$1');
    if (!cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}
