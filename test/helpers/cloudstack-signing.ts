// An independent implementation of CloudStack's request signing for tests (cloudstack-api.md §1.2), written
// from the spec rather than from src/api: encodeURIComponent differs from java.net.URLEncoder only in `!'()~`
// (which Java encodes) and `*` (which both keep), and spaces become %20 in both after CloudStack's replace.
import { createHmac } from 'node:crypto';

export function javaStyleEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()~]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function signParams(secretKey: string, params: Record<string, string>): string {
  const names = Object.keys(params).filter((name) => name.toLowerCase() !== 'signature');
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const canonical = names.map((name) => `${name}=${javaStyleEncode(params[name]!)}`).join('&').toLowerCase();
  return createHmac('sha1', secretKey).update(canonical).digest('base64');
}

export function expiresIn(seconds: number): string {
  return new Date(Date.now() + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, '+0000');
}

export interface ApiCall {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, Record<string, unknown>>;
}

/** Sends a signed request (v3 with expires by default) as a GET query or a POST form. */
export async function callSigned(
  url: string,
  credentials: { apiKey: string; secretKey: string },
  params: Record<string, string>,
  options: { method?: 'GET' | 'POST'; version3?: boolean; expires?: string; signatureOverride?: string } = {},
): Promise<ApiCall> {
  const all: Record<string, string> = { response: 'json', ...params, apiKey: credentials.apiKey };
  if (options.version3 !== false) {
    all.signatureVersion = '3';
    all.expires = options.expires ?? expiresIn(300);
  }
  all.signature = options.signatureOverride ?? signParams(credentials.secretKey, all);
  return send(url, all, options.method ?? 'GET');
}

export async function send(url: string, params: Record<string, string>, method: string, headers: Record<string, string> = {}): Promise<ApiCall> {
  const body = new URLSearchParams(params).toString();
  const response =
    method === 'GET'
      ? await fetch(`${url}?${body}`, { headers })
      : await fetch(url, { method, body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
  const text = await response.text();
  let json: Record<string, Record<string, unknown>> = {};
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    // XML or empty bodies: callers look at `text`.
  }
  return { status: response.status, headers: response.headers, text, json };
}
