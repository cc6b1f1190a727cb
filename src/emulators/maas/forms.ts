import type { IncomingMessage } from 'node:http';

/** Request parameters as ordered pairs: MAAS takes repeated keys for multi-valued constraints. */
export class Params {
  constructor(readonly pairs: ReadonlyArray<readonly [string, string]>) {}

  get(name: string): string | undefined {
    return this.pairs.find(([key]) => key === name)?.[1];
  }

  getAll(name: string): string[] {
    return this.pairs.filter(([key]) => key === name).map(([, value]) => value);
  }

  has(name: string): boolean {
    return this.pairs.some(([key]) => key === name);
  }

  concat(other: Params): Params {
    return new Params([...this.pairs, ...other.pairs]);
  }
}

export function parseQueryParams(search: string): Params {
  return new Params([...new URLSearchParams(search).entries()]);
}

export class BodyFormatError extends Error {}

/**
 * Parses a POST/PUT body the way Django does for MAAS: multipart/form-data (what MAAS documents and its
 * clients send) or application/x-www-form-urlencoded. File parts are read as text.
 */
export function parseBodyParams(req: IncomingMessage, body: Buffer): { params: Params; urlencoded: boolean } {
  const contentType = req.headers['content-type'] ?? '';
  if (body.length === 0) return { params: new Params([]), urlencoded: false };
  if (/^application\/x-www-form-urlencoded/i.test(contentType)) {
    return { params: new Params([...new URLSearchParams(body.toString('utf8')).entries()]), urlencoded: true };
  }
  const boundaryMatch = /^multipart\/form-data;.*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (boundaryMatch) return { params: parseMultipart(body, boundaryMatch[1] ?? boundaryMatch[2]!), urlencoded: false };
  return { params: new Params([]), urlencoded: false };
}

function parseMultipart(body: Buffer, boundary: string): Params {
  const text = body.toString('utf8');
  const delimiter = `--${boundary}`;
  const pairs: Array<[string, string]> = [];
  const sections = text.split(delimiter);
  // sections[0] is the preamble; the last starts with "--" (the close delimiter).
  for (const section of sections.slice(1)) {
    if (section.startsWith('--')) break;
    // Some MIME generators (Python's email package among them) end lines with a bare LF.
    const part = section.replace(/^\r?\n/, '').replace(/\r?\n$/, '');
    const separator = /\r?\n\r?\n/.exec(part);
    if (!separator) throw new BodyFormatError('Malformed multipart body');
    const headers = part.slice(0, separator.index);
    const value = part.slice(separator.index + separator[0].length);
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    if (name === undefined) throw new BodyFormatError('Multipart part without a name');
    pairs.push([name, value]);
  }
  return new Params(pairs);
}
