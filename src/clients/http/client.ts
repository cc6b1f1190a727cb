import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { DeadlineExceededError } from '../../contract/deadline.ts';
import { isClosedBeforeAnswer, TLS_VERIFY_CODES } from './socket-errors.ts';

export interface HttpClientOptions {
  readonly baseUrl: URL;
  /** TLS certificate verification; off only when an operator said so explicitly. */
  readonly verifyTls: boolean;
  /** Extra trusted CA certificates (PEM). */
  readonly ca?: string | readonly string[];
  readonly maxSockets?: number;
}

export interface HttpRequest {
  readonly method: string;
  /** Path and query, appended to the base URL's path. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface HttpResponse {
  readonly status: number;
  /** The reason phrase of the status line: Proxmox puts its error messages there. */
  readonly statusText: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** A request that never got an HTTP answer (connection, TLS, timeout). */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

function describeTransportError(error: NodeJS.ErrnoException, origin: string): TransportError {
  const code = error.code ?? '';
  if (code === 'ECONNREFUSED') return new TransportError(`Connection refused by ${origin}`, code);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new TransportError(`Cannot resolve host of ${origin}`, code);
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return new TransportError(`Host ${origin} is unreachable`, code);
  if (TLS_VERIFY_CODES.has(code)) {
    return new TransportError(
      `TLS certificate verification failed for ${origin} (${code}); install a trusted certificate or set verify_tls_certificate=false for this host`,
      code,
    );
  }
  if (isClosedBeforeAnswer(error)) {
    return new TransportError(`Connection to ${origin} was closed before an answer`, code || 'ECONNRESET');
  }
  return new TransportError(`Request to ${origin} failed: ${error.message}`, code);
}

/**
 * A small HTTP(S) client on node's own http/https modules with one keep-alive agent per client. Chosen over
 * fetch because it exposes the status line's reason phrase and costs nothing at start-up (ADR 0003).
 */
export class HttpClient {
  readonly baseUrl: URL;
  readonly #agent: http.Agent;
  readonly #transport: typeof http | typeof https;

  constructor(options: HttpClientOptions) {
    this.baseUrl = options.baseUrl;
    const secure = options.baseUrl.protocol === 'https:';
    this.#transport = secure ? https : http;
    this.#agent = secure
      ? new https.Agent({
          keepAlive: true,
          maxSockets: options.maxSockets ?? 8,
          rejectUnauthorized: options.verifyTls,
          ...(options.ca ? { ca: options.ca as string[] } : {}),
        })
      : new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 8 });
  }

  get origin(): string {
    return this.baseUrl.host;
  }

  request(req: HttpRequest): Promise<HttpResponse> {
    const origin = this.origin;
    const basePath = this.baseUrl.pathname === '/' ? '' : this.baseUrl.pathname;
    const pathForMessages = req.path.split('?')[0] ?? req.path;
    return new Promise<HttpResponse>((resolve, reject) => {
      if (req.signal?.aborted) return reject(abortReason(req.signal, req, origin, pathForMessages));
      const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
      const headers: Record<string, string> = { ...req.headers };
      if (body) headers['content-length'] = String(body.length);
      const outgoing = this.#transport.request(
        {
          protocol: this.baseUrl.protocol,
          hostname: this.baseUrl.hostname.replace(/^\[|\]$/g, ''),
          port: this.baseUrl.port,
          method: req.method,
          path: `${basePath}${req.path}`,
          headers,
          agent: this.#agent,
        },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('end', () => {
            cleanup();
            resolve({
              status: incoming.statusCode ?? 0,
              statusText: incoming.statusMessage ?? '',
              headers: incoming.headers,
              body: Buffer.concat(chunks),
            });
          });
          incoming.on('error', (error) => fail(error));
        },
      );
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        cleanup();
        reject(error);
      };
      const timer = setTimeout(() => {
        outgoing.destroy();
        fail(new TransportError(`Timed out after ${formatSeconds(req.timeoutMs)} waiting for ${req.method} ${origin}${pathForMessages}`, 'ETIMEDOUT'));
      }, req.timeoutMs);
      const onAbort = () => {
        outgoing.destroy();
        fail(abortReason(req.signal!, req, origin, pathForMessages));
      };
      req.signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => {
        settled = true;
        clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
      };
      outgoing.on('error', (error: NodeJS.ErrnoException) => fail(describeTransportError(error, origin)));
      outgoing.end(body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

function formatSeconds(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)}s` : `${ms}ms`;
}

function abortReason(signal: AbortSignal, req: HttpRequest, origin: string, path: string): Error {
  if (signal.reason instanceof DeadlineExceededError) {
    return new TransportError(`${signal.reason.message} (invocation deadline) waiting for ${req.method} ${origin}${path}`, 'ETIMEDOUT');
  }
  return signal.reason instanceof Error ? signal.reason : new TransportError('Request aborted', 'ABORTED');
}
