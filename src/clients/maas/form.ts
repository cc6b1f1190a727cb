import { randomBytes } from 'node:crypto';

/** Request parameters: MAAS takes repeated keys for multi-valued constraints (`tags`, `arch`, `id`, …). */
export type MaasParams = Readonly<Record<string, string | number | boolean | readonly string[] | undefined>>;

/** Flattens parameters into ordered key/value pairs, dropping absent values and repeating arrays. */
export function paramPairs(params: MaasParams | undefined): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) pairs.push([key, String(item)]);
    else pairs.push([key, typeof value === 'boolean' ? (value ? 'true' : 'false') : String(value)]);
  }
  return pairs;
}

/** `a=1&b=2` with RFC 3986 encoding, for query strings. */
export function encodeQuery(pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&');
}

export interface EncodedBody {
  readonly contentType: string;
  readonly body: Buffer;
}

/**
 * A multipart/form-data body, as MAAS documents for POST and PUT (and as its own CLI and python-libmaas
 * send, even when there are no parameters). Each value is a text part; names are quoted with `"` escaped.
 */
export function encodeMultipart(pairs: ReadonlyArray<readonly [string, string]>): EncodedBody {
  let boundary = `extorch-${randomBytes(12).toString('hex')}`;
  // A value must never contain the delimiter, or it could end its part and forge another.
  while (pairs.some(([, value]) => value.includes(boundary))) boundary = `extorch-${randomBytes(12).toString('hex')}`;
  const chunks: string[] = [];
  for (const [name, value] of pairs) {
    const safeName = name.replace(/["\r\n]/g, (c) => encodeURIComponent(c));
    chunks.push(`--${boundary}\r\nContent-Disposition: form-data; name="${safeName}"\r\n\r\n${value}\r\n`);
  }
  chunks.push(`--${boundary}--\r\n`);
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.from(chunks.join(''), 'utf8') };
}
