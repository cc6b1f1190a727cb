import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ApiContext, Route } from './api-types.ts';
import { str } from './api-types.ts';
import { AuthError, PveError } from './errors.ts';

/**
 * Proxmox authentication: `PVEAPIToken=USER@REALM!TOKENID=SECRET` headers, and tickets from
 * `POST /access/ticket` sent back as the `PVEAuthCookie` cookie plus a `CSRFPreventionToken` header on
 * every non-GET request. Tickets here are HMAC-signed instead of RSA-signed; clients treat them as opaque.
 */
export const USER = 'root@pam';
export const TOKEN_ID = 'extorch';
const TICKET_LIFETIME_SECONDS = 2 * 3600;

export interface Credentials {
  readonly secret: string;
  readonly password: string;
  /** Key for ticket and CSRF signatures (per start). */
  readonly signingKey: Buffer;
}

export interface Authenticated {
  /** As recorded in UPIDs. */
  readonly authId: string;
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function sign(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text).digest('base64').replace(/=+$/, '');
}

function hexTime(): string {
  return Math.floor(Date.now() / 1000).toString(16).toUpperCase().padStart(8, '0');
}

export function issueTicket(credentials: Credentials, user: string): { ticket: string; csrf: string } {
  const time = hexTime();
  const plain = `PVE:${user}:${time}`;
  return { ticket: `${plain}::${sign(credentials.signingKey, plain)}`, csrf: `${time}:${sign(credentials.signingKey, `${time}:${user}`)}` };
}

function verifyTicket(credentials: Credentials, ticket: string): string {
  const match = /^(PVE:([^:\s]+):([0-9A-F]{8}))::(.+)$/.exec(ticket);
  if (!match || !safeEqual(sign(credentials.signingKey, match[1]!), match[4]!)) throw new AuthError('permission denied - invalid PVE ticket');
  const age = Date.now() / 1000 - parseInt(match[3]!, 16);
  if (age < -300 || age > TICKET_LIFETIME_SECONDS) throw new AuthError('permission denied - invalid PVE ticket');
  return match[2]!;
}

function isValidTicketFor(credentials: Credentials, ticket: string, user: string): boolean {
  try {
    return verifyTicket(credentials, ticket) === user;
  } catch {
    return false;
  }
}

function verifyCsrf(credentials: Credentials, user: string, token: string | undefined): void {
  const match = token ? /^([0-9A-F]{8}):(.+)$/.exec(token) : null;
  if (!match || !safeEqual(sign(credentials.signingKey, `${match[1]}:${user}`), match[2]!)) throw new AuthError('Permission denied - invalid csrf token');
}

function cookieTicket(req: IncomingMessage): string | undefined {
  const cookie = req.headers.cookie;
  const fromCookie = cookie ? /(?:^|;\s*)PVEAuthCookie=([^;]*)/.exec(cookie)?.[1] : undefined;
  const fromHeader = /^PVEAuthCookie=([^;]*)/.exec(req.headers.authorization ?? '')?.[1];
  const raw = fromCookie ?? fromHeader;
  return raw === undefined ? undefined : decodeURIComponent(raw);
}

/** Authenticates a request the way pve-manager's `auth_handler` does; throws `AuthError` with the reason. */
export function authenticate(req: IncomingMessage, credentials: Credentials): Authenticated {
  const header = req.headers.authorization ?? '';
  const tokenValue = /PVEAPIToken[= ]([^;]+)/.exec(header)?.[1];
  if (tokenValue !== undefined) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(tokenValue.trim());
    } catch {
      throw new AuthError('invalid token value!');
    }
    const separator = decoded.lastIndexOf('=');
    const tokenPart = separator > 0 ? decoded.slice(0, separator) : '';
    const secret = separator > 0 ? decoded.slice(separator + 1) : '';
    const match = /^([^!\s]+@[^!\s]+)!([A-Za-z][A-Za-z0-9._-]*)$/.exec(tokenPart);
    if (!match || !secret) throw new AuthError('invalid token value!');
    const [, user, tokenId] = match;
    if (user !== USER) throw new AuthError(`no such user ('${user}')`);
    if (tokenId !== TOKEN_ID) throw new AuthError(`no such token '${tokenId}' for user '${user}'`);
    if (!safeEqual(secret, credentials.secret)) throw new AuthError('invalid token value!');
    return { authId: `${USER}!${TOKEN_ID}` };
  }
  const ticket = cookieTicket(req);
  if (ticket === undefined) throw new AuthError('No ticket');
  const user = verifyTicket(credentials, ticket);
  if (req.method !== 'GET') {
    const csrf = req.headers.csrfpreventiontoken;
    verifyCsrf(credentials, user, Array.isArray(csrf) ? csrf[0] : csrf);
  }
  return { authId: user };
}

export function ticketRoute(credentials: Credentials): Route {
  return {
    method: 'POST',
    path: '/access/ticket',
    public: true,
    params: {
      username: { type: 'string', maxLength: 64 },
      password: { type: 'string' },
      realm: { type: 'string', optional: true, maxLength: 32, pattern: /[A-Za-z][A-Za-z0-9.\-_]+/ },
      otp: { type: 'string', optional: true },
      path: { type: 'string', optional: true, maxLength: 64 },
      privs: { type: 'string', optional: true, maxLength: 64 },
      'new-format': { type: 'boolean', optional: true },
      'tfa-challenge': { type: 'string', optional: true },
    },
    handler({ params }: ApiContext) {
      let username = str(params, 'username')!;
      const realm = str(params, 'realm');
      if (realm !== undefined && !username.includes('@')) username = `${username}@${realm}`;
      const password = str(params, 'password')!;
      // A valid ticket is accepted as the password: that is how clients renew tickets before they expire.
      if (username !== USER || !(safeEqual(password, credentials.password) || isValidTicketFor(credentials, password, USER))) {
        throw new PveError(401, 'authentication failure\n');
      }
      const { ticket, csrf } = issueTicket(credentials, USER);
      return {
        username: USER,
        ticket,
        CSRFPreventionToken: csrf,
        clustername: 'extorch-emulated',
        cap: {
          vms: { 'VM.PowerMgmt': 1, 'VM.Allocate': 1, 'VM.Config.Disk': 1, 'VM.Clone': 1, 'VM.Audit': 1, 'VM.Console': 1, 'VM.Snapshot': 1 },
          storage: { 'Datastore.AllocateSpace': 1, 'Datastore.Audit': 1 },
          nodes: { 'Sys.Audit': 1 },
          access: {},
          dc: {},
          sdn: {},
        },
      };
    },
  };
}

/** `GET /access/ticket` is a no-op that needs no authentication (clients probe it). */
export const ticketProbeRoute: Route = { method: 'GET', path: '/access/ticket', public: true, params: {}, handler: () => null };

export function newCredentials(secret: string, password: string): Credentials {
  return { secret, password, signingKey: randomBytes(32) };
}
