// Request signing exactly as CloudStack's ApiServer.verifyRequest checks it (cloudstack-api.md §1.2):
// every parameter except `signature`, names sorted by UTF-16 code units (Java String.compareTo), values
// re-encoded with java.net.URLEncoder semantics ("+" then replaced by "%20"), the whole string
// lower-cased, HMAC-SHA1 with the secret key, standard Base64.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Characters java.net.URLEncoder leaves as they are; everything else is percent-encoded per UTF-8 byte. */
const URL_ENCODER_SAFE = /[A-Za-z0-9.\-*_]/;

export function javaUrlEncode(value: string): string {
  let encoded = '';
  for (const char of value) {
    if (URL_ENCODER_SAFE.test(char)) encoded += char;
    else if (char === ' ') encoded += '+';
    else for (const byte of Buffer.from(char, 'utf8')) encoded += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/** Java's Collections.sort on strings: plain UTF-16 code-unit comparison, case-sensitive. */
function compareUtf16(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The lower-cased string CloudStack signs, from the decoded parameters as received. */
export function canonicalSigningString(params: ReadonlyArray<readonly [string, string]>): string {
  return params
    .filter(([name]) => name.toLowerCase() !== 'signature')
    .slice()
    .sort(([a], [b]) => compareUtf16(a, b))
    .map(([name, value]) => `${name}=${javaUrlEncode(value).replace(/\+/g, '%20')}`)
    .join('&')
    .toLowerCase();
}

export function computeSignature(secretKey: string, params: ReadonlyArray<readonly [string, string]>): string {
  return createHmac('sha1', secretKey).update(canonicalSigningString(params), 'utf8').digest('base64');
}

export function signaturesMatch(expected: string, received: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(received, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Parses CloudStack's `yyyy-MM-dd'T'HH:mm:ssZ` (DateUtil.parseTZDateString), e.g. `2026-11-26T01:00:19+0000`.
 * Also accepts `+00:00` and `Z`, which ISO-8601 writers produce. Returns undefined when unparseable.
 */
export function parseCloudStackDate(text: string): Date | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})$/.exec(text.trim());
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, zone] = match;
  const offset = zone === 'Z' ? '+00:00' : `${zone!.slice(0, 3)}:${zone!.slice(-2)}`;
  const parsed = new Date(`${year}-${month}-${day}T${hour}:${minute}:${second}${offset}`);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}

/** CloudStack's response date format: `yyyy-MM-dd'T'HH:mm:ssZ` in UTC, e.g. `2026-08-23T12:09:39+0000`. */
/** How the store keeps timestamps (`toISOString()`). */
const STORED_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function formatCloudStackDate(date: Date | string | number): string {
  // Stored timestamps only need their suffix changed; parsing them again cost ~1 µs for every row of a list.
  if (typeof date === 'string' && STORED_TIMESTAMP.test(date)) return `${date.slice(0, 19)}+0000`;
  return new Date(date).toISOString().replace(/\.\d{3}Z$/, '+0000');
}

export type SignatureCheck =
  | { ok: true }
  | { ok: false; reason: 'missing-signature' | 'missing-expires' | 'bad-expires' | 'expired' | 'mismatch' };

/** Verifies signature, and for signatureVersion 3 the mandatory, unexpired `expires` (both part of the signed string). */
export function verifySignedRequest(
  params: ReadonlyArray<readonly [string, string]>,
  secretKey: string,
  now: Date,
): SignatureCheck {
  const lookup = (name: string) => params.find(([key]) => key.toLowerCase() === name)?.[1];
  const signature = lookup('signature');
  if (!signature) return { ok: false, reason: 'missing-signature' };
  if (lookup('signatureversion') === '3') {
    const expires = lookup('expires');
    if (!expires) return { ok: false, reason: 'missing-expires' };
    const expiry = parseCloudStackDate(expires);
    if (!expiry) return { ok: false, reason: 'bad-expires' };
    if (expiry.getTime() < now.getTime()) return { ok: false, reason: 'expired' };
  }
  return signaturesMatch(computeSignature(secretKey, params), signature) ? { ok: true } : { ok: false, reason: 'mismatch' };
}
