import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { readBody } from '../shared/server.ts';
import type { ApiContext } from './api-types.ts';
import { ResultWithAttributes } from './api-types.ts';
import { authenticate } from './auth.ts';
import type { Credentials } from './auth.ts';
import type { Cluster } from './cluster.ts';
import { AuthError, PveError, parameterError } from './errors.ts';
import type { Router } from './router.ts';
import { validateParams } from './validation.ts';

/**
 * The `/api2/json` request pipeline, in pveproxy's order: authentication, routing (501 for unknown
 * paths), parameter merging and verification, the handler, and the `{"data":…}` envelope with the error
 * text in the reason phrase.
 */
export const API_PREFIX = '/api2/json';

/** Node refuses control characters and non-Latin-1 text in a reason phrase; Proxmox sends the first line. */
export function reasonPhrase(message: string): string {
  const firstLine = message.split('\n')[0] ?? '';
  return firstLine.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');
}

function standardHeaders(): Record<string, string> {
  return {
    server: 'pve-api-daemon/3.0',
    'cache-control': 'max-age=0',
    pragma: 'no-cache',
    expires: new Date().toUTCString(),
  };
}

/** pveproxy gzips bodies over 1 KiB for clients that accept it. */
const GZIP_THRESHOLD_BYTES = 1024;

export function sendData(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>): void {
  let content: Buffer = Buffer.from(JSON.stringify(body));
  const headers: Record<string, string> = { ...standardHeaders(), 'content-type': 'application/json;charset=UTF-8' };
  if (content.length > GZIP_THRESHOLD_BYTES && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
    content = gzipSync(content);
    headers['content-encoding'] = 'gzip';
  }
  headers['content-length'] = String(content.length);
  res.writeHead(200, 'OK', headers);
  res.end(content);
}

/** Requests pveproxy refuses before looking at the path: methods other than GET, POST, PUT and DELETE. */
export function sendUnknownMethod(res: ServerResponse, method: string): void {
  res.writeHead(501, reasonPhrase(`method '${method}' not available`), { ...standardHeaders(), 'content-length': '0', connection: 'close' });
  res.end();
}

/** What pveproxy answers for `/`: the web UI's page (here only its title). */
export function sendIndexPage(res: ServerResponse, nodeName: string): void {
  const html = `<!DOCTYPE html>\n<html>\n  <head>\n    <title>${nodeName} - Proxmox Virtual Environment</title>\n  </head>\n  <body></body>\n</html>\n`;
  res.writeHead(200, 'OK', { ...standardHeaders(), 'content-type': 'text/html;charset=UTF-8', 'content-length': String(Buffer.byteLength(html)) });
  res.end(html);
}

/** An API error: status line with the message's first line, body `{"data":null,"message":…,"errors"?}`. */
export function sendPveError(res: ServerResponse, status: number, message: string, errors?: Record<string, string>): void {
  const full = message.endsWith('\n') ? message : `${message}\n`;
  const text = JSON.stringify({ data: null, message: full, ...(errors ? { errors } : {}) });
  res.writeHead(status, reasonPhrase(message), {
    ...standardHeaders(),
    'content-type': 'application/json;charset=UTF-8',
    'content-length': String(Buffer.byteLength(text)),
    // pveproxy drops keep-alive after an error.
    connection: 'close',
  });
  res.end(text);
}

/** 401 from the authentication layer: reason phrase only, no body. */
function sendAuthFailure(res: ServerResponse, message: string): void {
  res.writeHead(401, reasonPhrase(message), { ...standardHeaders(), 'content-length': '0', connection: 'close' });
  res.end();
}

/** Body parameters (form or JSON), then the query string on top, as pveproxy merges them. */
async function readParameters(req: IncomingMessage, url: URL): Promise<Record<string, string>> {
  const params = await readBodyParameters(req);
  for (const [key, value] of url.searchParams) params[key] = value;
  return params;
}

async function readBodyParameters(req: IncomingMessage): Promise<Record<string, string>> {
  const params: Record<string, string> = {};
  const body = await readBody(req);
  if (body.length === 0) return params;
  if (req.method === 'GET' || req.method === 'DELETE') throw new PveError(501, `Unexpected content for method '${req.method}'`);
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new PveError(400, 'malformed JSON in request body');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new PveError(400, 'malformed JSON in request body');
    for (const [key, value] of Object.entries(parsed)) {
      if (value === null || value === undefined) continue;
      params[key] = typeof value === 'boolean' ? (value ? '1' : '0') : typeof value === 'object' ? JSON.stringify(value) : String(value);
    }
    return params;
  }
  for (const [key, value] of new URLSearchParams(body.toString('utf8'))) params[key] = value;
  return params;
}

export interface ApiServerDependencies {
  readonly cluster: () => Cluster;
  readonly credentials: Credentials;
  readonly router: Router;
  readonly certificatePem: string;
}

export async function handleApiRequest(req: IncomingMessage, res: ServerResponse, url: URL, deps: ApiServerDependencies): Promise<void> {
  const method = req.method ?? 'GET';
  const relativePath = url.pathname.slice(API_PREFIX.length) || '/';
  try {
    const matched = deps.router.match(method, relativePath);
    let authId = '';
    if (!matched?.route.public) {
      try {
        authId = authenticate(req, deps.credentials).authId;
      } catch (error) {
        if (error instanceof AuthError) return sendAuthFailure(res, error.message);
        throw error;
      }
    }
    const raw = await readParameters(req, url);
    if (!matched) throw new PveError(501, `Method '${method} ${relativePath}' not implemented`);
    for (const [name, value] of Object.entries(matched.pathParams)) {
      if (raw[name] !== undefined && raw[name] !== value) throw parameterError({ [name]: 'duplicate parameter (already defined in URI) with conflicting values!' });
      raw[name] = value;
    }
    const params = validateParams(raw, matched.route.params);
    const context: ApiContext = { cluster: deps.cluster(), params, authId, certificatePem: deps.certificatePem };
    const result = await matched.route.handler(context);
    if (result instanceof ResultWithAttributes) sendData(req, res, { data: result.data, ...result.attributes });
    else sendData(req, res, { data: result ?? null });
  } catch (error) {
    if (error instanceof PveError) return sendPveError(res, error.status, error.message, error.errors);
    const message = error instanceof Error ? error.message : String(error);
    sendPveError(res, 500, message);
  }
}
