// CloudStack response envelopes (cloudstack-api.md §1.5): one top-level key `<command lower-cased>response`,
// `count` + list key for lists (an empty list is `{}`), null/undefined fields omitted (Gson's default), JSON with
// `application/json; charset=UTF-8`, or XML, CloudStack's default when `response` is absent.
import type { CommandResult } from './registry.ts';

export const JSON_CONTENT_TYPE = 'application/json; charset=UTF-8';
export const XML_CONTENT_TYPE = 'text/xml; charset=UTF-8';
/** The CloudStack release whose API this one mirrors (reported by XML envelopes and listCapabilities). */
export const CLOUDSTACK_VERSION = '4.22.0.0';

export type ResponseFormat = 'json' | 'xml';

export function responseFormat(requested: string | undefined): ResponseFormat {
  return requested?.toLowerCase() === 'json' ? 'json' : 'xml';
}

export function responseName(command: string): string {
  return `${command.toLowerCase()}response`;
}

/** Drops null/undefined fields recursively, as Gson does when serializing CloudStack's response objects. */
export function omitEmpty(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((item) => item !== null && item !== undefined).map(omitEmpty);
  if (value instanceof Date) return value;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) {
      if (field === null || field === undefined) continue;
      out[key] = omitEmpty(field);
    }
    return out;
  }
  return value;
}

function dropNull(_key: string, value: unknown): unknown {
  return value === null ? undefined : value;
}

export function envelopeBody(result: CommandResult): Record<string, unknown> {
  switch (result.type) {
    case 'object':
      return { [result.name]: result.value };
    case 'list':
      return result.count === 0 && result.items.length === 0 ? {} : { count: result.count, [result.name]: result.items };
    case 'fields':
      return result.value;
    case 'job':
      return result.id === undefined ? { jobid: result.jobid } : { id: result.id, jobid: result.jobid };
  }
}

export function serialize(format: ResponseFormat, name: string, body: Record<string, unknown>): { contentType: string; payload: string } {
  if (format === 'json') {
    // JSON.stringify already drops undefined fields; nulls need the replacer, which makes a large list ~40 %
    // slower to serialize, so it runs only when the plain form holds a null field. A null field always shows as
    // `":null`; inside a string the quote is escaped but the sequence may still occur, which only costs the
    // second pass. (Null array elements print as null either way.)
    const wrapped = { [name]: body };
    const plain = JSON.stringify(wrapped);
    return { contentType: JSON_CONTENT_TYPE, payload: plain.includes('":null') ? JSON.stringify(wrapped, dropNull) : plain };
  }
  return { contentType: XML_CONTENT_TYPE, payload: toXml(name, omitEmpty(body) as Record<string, unknown>) };
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function xmlElement(name: string, value: unknown): string {
  if (Array.isArray(value)) return value.map((item) => xmlElement(name, item)).join('');
  if (value !== null && typeof value === 'object') {
    const children = Object.entries(value).map(([key, child]) => xmlElement(key, child)).join('');
    return `<${name}>${children}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** CloudStack's XML form: the response element carries the version; lists repeat the object element. */
export function toXml(name: string, body: Record<string, unknown>): string {
  const children = Object.entries(body).map(([key, child]) => xmlElement(key, child)).join('');
  return `<?xml version="1.0" encoding="UTF-8"?><${name} cloud-stack-version="${CLOUDSTACK_VERSION}">${children}</${name}>`;
}
