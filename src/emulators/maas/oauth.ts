import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Server-side OAuth 1.0 verification as MAAS does it (0-legged: the consumer secret is empty). Written here
 * from RFC 5849 on purpose, without the client's library, so that a signing bug cannot hide on both sides.
 */
export interface OAuthCredentials {
  readonly consumerKey: string;
  readonly tokenKey: string;
  readonly tokenSecret: string;
}

export type OAuthOutcome<T> =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'authenticated'; readonly credentials: T }
  | { readonly kind: 'bad-request'; readonly message: string }
  | { readonly kind: 'unauthorized'; readonly message: string };

/** RFC 3986 percent-encoding (RFC 5849 §3.6): everything but unreserved characters. */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function percentDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Parses `Authorization: OAuth realm="", oauth_consumer_key="…", …`; undefined when it is not OAuth. */
export function parseOAuthHeader(header: string | undefined): Map<string, string> | undefined {
  if (!header || !/^OAuth\s/i.test(header)) return undefined;
  const params = new Map<string, string>();
  const pattern = /([A-Za-z0-9_.~%-]+)\s*=\s*"([^"]*)"/g;
  for (const match of header.slice(6).matchAll(pattern)) params.set(percentDecode(match[1]!), percentDecode(match[2]!));
  return params;
}

/** The signature base string of RFC 5849 §3.4.1 for HMAC-SHA1. */
export function signatureBaseString(
  method: string,
  baseUri: string,
  oauthParams: ReadonlyMap<string, string>,
  requestParams: ReadonlyArray<readonly [string, string]>,
): string {
  const pairs: Array<[string, string]> = [];
  for (const [key, value] of oauthParams) if (key !== 'oauth_signature' && key !== 'realm') pairs.push([percentEncode(key), percentEncode(value)]);
  for (const [key, value] of requestParams) pairs.push([percentEncode(key), percentEncode(value)]);
  pairs.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  const normalized = pairs.map(([key, value]) => `${key}=${value}`).join('&');
  return `${method.toUpperCase()}&${percentEncode(baseUri)}&${percentEncode(normalized)}`;
}

function constantTimeEquals(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export interface VerifyContext {
  readonly req: IncomingMessage;
  readonly secure: boolean;
  /** Query parameters plus form-urlencoded body parameters (both are signed by HMAC-SHA1 clients). */
  readonly signedParams: ReadonlyArray<readonly [string, string]>;
}

const REQUIRED = ['oauth_consumer_key', 'oauth_token', 'oauth_signature_method', 'oauth_signature'] as const;

/**
 * Verifies the request's OAuth header against the known tokens. `lookup` finds the token by its key. MAAS's
 * texts: an unknown key is `Invalid API key.`; other failures are quoted OAuth errors. Timestamps and nonces
 * are not checked for replay (MAAS itself does not enforce them either in 0-legged mode).
 */
export function verifyOAuth<T extends OAuthCredentials>(context: VerifyContext, lookup: (tokenKey: string) => T | undefined): OAuthOutcome<T> {
  const params = parseOAuthHeader(context.req.headers.authorization);
  if (!params) return { kind: 'anonymous' };
  const missing = REQUIRED.filter((name) => !params.get(name));
  if (missing.length > 0) return { kind: 'bad-request', message: `Missing OAuth parameters: ${missing.join(', ')}` };
  const credentials = lookup(params.get('oauth_token')!);
  if (!credentials || credentials.consumerKey !== params.get('oauth_consumer_key')) {
    return { kind: 'unauthorized', message: 'Invalid API key.' };
  }
  const method = params.get('oauth_signature_method')!.toUpperCase();
  const signature = params.get('oauth_signature')!;
  // Key = percent-encoded consumer secret (empty in MAAS) & percent-encoded token secret.
  const signingKey = `&${percentEncode(credentials.tokenSecret)}`;
  if (method === 'PLAINTEXT') {
    if (!constantTimeEquals(signature, signingKey)) return { kind: 'unauthorized', message: "'Invalid signature.'" };
    return { kind: 'authenticated', credentials };
  }
  if (method === 'HMAC-SHA1') {
    const host = context.req.headers.host ?? 'localhost';
    const path = (context.req.url ?? '/').split('?')[0] ?? '/';
    const scheme = context.secure ? 'https' : 'http';
    const defaultPort = context.secure ? ':443' : ':80';
    const authority = host.toLowerCase().endsWith(defaultPort) ? host.slice(0, -defaultPort.length) : host;
    const base = signatureBaseString(context.req.method ?? 'GET', `${scheme}://${authority.toLowerCase()}${path}`, params, context.signedParams);
    const expected = createHmac('sha1', signingKey).update(base).digest('base64');
    if (!constantTimeEquals(signature, expected)) return { kind: 'unauthorized', message: "'Invalid signature.'" };
    return { kind: 'authenticated', credentials };
  }
  return { kind: 'unauthorized', message: `'Signature method ${method} not supported.'` };
}
