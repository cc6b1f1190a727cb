import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { tlsServerEndPoint } from './channel-binding.ts';
import { createAuthenticateMessage, createNegotiateMessage, parseChallengeMessage, splitAccountName } from './ntlm.ts';

/**
 * HTTPS transport for WinRM with NTLM under the `Negotiate` scheme. NTLM authenticates the TCP connection,
 * so the agent keeps exactly one kept-alive socket; when that socket goes away the next request starts a
 * new handshake on the new one.
 */

export interface WinRmTransportOptions {
  readonly url: URL;
  readonly username: string;
  readonly password: string;
  readonly verifyTls: boolean;
  readonly ca?: string;
}

export interface TransportResponse {
  readonly status: number;
  readonly body: string;
  readonly contentType: string;
}

export interface RequestCounts {
  /** NEGOTIATE legs and unauthenticated probes: the price of (re-)authenticating a connection. */
  readonly handshake: number;
  /** Requests that carried a SOAP message (including the one sent with the AUTHENTICATE token). */
  readonly afterHandshake: number;
}

export class WinRmTransportError extends Error {
  override readonly name = 'WinRmTransportError';
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** The reused connection was closed by the server before it answered; safe to resend on a new one. */
class StaleConnectionError extends Error {
  override readonly name = 'StaleConnectionError';
}

export class WinRmAuthenticationError extends Error {
  override readonly name = 'WinRmAuthenticationError';
}

const TLS_VERIFY_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const SOAP_CONTENT_TYPE = 'application/soap+xml;charset=UTF-8';

interface RawResponse {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
  readonly socket: TLSSocket;
}

export class WinRmTransport {
  readonly #options: WinRmTransportOptions;
  readonly #agent: https.Agent;
  #authenticatedSocket: TLSSocket | undefined;
  #handshakeRequests = 0;
  #messageRequests = 0;
  /** Requests run one at a time: NTLM state belongs to the single connection. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: WinRmTransportOptions) {
    if (options.url.protocol !== 'https:') throw new WinRmTransportError(`WinRM URL must use https: (got ${options.url.protocol})`);
    this.#options = options;
    this.#agent = new https.Agent({
      keepAlive: true,
      maxSockets: 1,
      maxFreeSockets: 1,
      rejectUnauthorized: options.verifyTls,
      ...(options.ca ? { ca: options.ca } : {}),
    });
  }

  get counts(): RequestCounts {
    return { handshake: this.#handshakeRequests, afterHandshake: this.#messageRequests };
  }

  /** POSTs one SOAP message, authenticating the connection first when needed. */
  send(xml: string, timeoutMs: number, signal?: AbortSignal): Promise<TransportResponse> {
    const run = this.#queue.then(() => this.#send(Buffer.from(xml, 'utf8'), timeoutMs, signal));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #send(body: Buffer, timeoutMs: number, signal?: AbortSignal): Promise<TransportResponse> {
    if (this.#authenticatedSocket && !this.#authenticatedSocket.destroyed) {
      this.#messageRequests += 1;
      try {
        const response = await this.#post(body, undefined, timeoutMs, signal);
        if (response.status !== 401) return this.#toResponse(response);
      } catch (error) {
        if (!(error instanceof StaleConnectionError)) throw error;
      }
      // The server forgot or closed the connection (keep-alive expiry, restart): authenticate a new one.
      this.#authenticatedSocket = undefined;
    }
    return this.#toResponse(await this.#authenticate(body, timeoutMs, signal));
  }

  async #authenticate(body: Buffer, timeoutMs: number, signal?: AbortSignal): Promise<RawResponse> {
    const negotiate = createNegotiateMessage();
    this.#handshakeRequests += 1;
    const authorization = `Negotiate ${negotiate.toString('base64')}`;
    const first = await this.#post(Buffer.alloc(0), authorization, timeoutMs, signal).catch((error: unknown) => {
      if (error instanceof StaleConnectionError) return this.#post(Buffer.alloc(0), authorization, timeoutMs, signal);
      throw error;
    });
    const token = challengeToken(first);
    if (first.status !== 401 || !token) {
      throw new WinRmAuthenticationError(
        `WinRM at ${this.#options.url.host} did not offer an NTLM challenge under Negotiate (HTTP ${first.status})`,
      );
    }
    const challenge = parseChallengeMessage(token);
    const certificate = first.socket.getPeerCertificate?.(false);
    const { username, domain } = splitAccountName(this.#options.username);
    const { message } = createAuthenticateMessage({ username, domain, password: this.#options.password }, negotiate, challenge, {
      ...(certificate?.raw ? { channelBindingApplicationData: tlsServerEndPoint(certificate.raw) } : {}),
    });
    this.#messageRequests += 1;
    const second = await this.#post(body, `Negotiate ${message.toString('base64')}`, timeoutMs, signal);
    if (second.status === 401) {
      throw new WinRmAuthenticationError(`WinRM at ${this.#options.url.host} rejected the credentials of '${this.#options.username}' (HTTP 401)`);
    }
    if (second.socket !== first.socket) {
      throw new WinRmAuthenticationError(`WinRM at ${this.#options.url.host} closed the connection during the NTLM handshake`);
    }
    this.#authenticatedSocket = second.socket;
    return second;
  }

  #toResponse(response: RawResponse): TransportResponse {
    const contentType = String(response.headers['content-type'] ?? '');
    if (response.status === 401) {
      throw new WinRmAuthenticationError(`WinRM at ${this.#options.url.host} refused the request (HTTP 401)`);
    }
    return { status: response.status, body: response.body.toString('utf8'), contentType };
  }

  #post(body: Buffer, authorization: string | undefined, timeoutMs: number, signal?: AbortSignal): Promise<RawResponse> {
    const url = this.#options.url;
    const origin = url.host;
    return new Promise<RawResponse>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal, origin));
      const headers: Record<string, string> = {
        'content-type': SOAP_CONTENT_TYPE,
        'content-length': String(body.length),
        'user-agent': 'extorch WinRM client',
        connection: 'Keep-Alive',
      };
      if (authorization) headers['authorization'] = authorization;
      let settled = false;
      const finish = (error: Error | undefined, value?: RawResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(value!);
      };
      const request = https.request(
        {
          protocol: 'https:',
          hostname: url.hostname.replace(/^\[|\]$/g, ''),
          port: url.port || 5986,
          method: 'POST',
          path: `${url.pathname}${url.search}`,
          headers,
          agent: this.#agent,
        },
        (incoming) => {
          // Captured now: the socket is handed back to the agent (and detached) once the body is read.
          const socket = incoming.socket as TLSSocket;
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('end', () =>
            finish(undefined, { status: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.concat(chunks), socket }),
          );
          incoming.on('error', (error) => finish(describe(error, origin)));
        },
      );
      const timer = setTimeout(() => {
        request.destroy();
        finish(new WinRmTransportError(`Timed out after ${Math.round(timeoutMs / 100) / 10} s waiting for WinRM at ${origin}`, 'ETIMEDOUT'));
      }, timeoutMs);
      const onAbort = () => {
        request.destroy();
        finish(abortError(signal!, origin));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      request.on('error', (error: NodeJS.ErrnoException) => {
        // A kept-alive socket the server closed while idle fails before any answer: nothing was processed.
        const stale = request.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE' || error.message === 'socket hang up');
        finish(stale ? new StaleConnectionError(error.message) : describe(error, origin));
      });
      request.end(body);
    });
  }

  close(): void {
    this.#authenticatedSocket = undefined;
    this.#agent.destroy();
  }
}

function challengeToken(response: RawResponse): Buffer | undefined {
  const header = response.headers['www-authenticate'];
  const values = (Array.isArray(header) ? header : header ? [header] : []).flatMap((value) => value.split(','));
  for (const value of values) {
    const match = /^\s*Negotiate\s+([A-Za-z0-9+/=]+)\s*$/i.exec(value);
    if (match?.[1]) return Buffer.from(match[1], 'base64');
  }
  return undefined;
}

function abortError(signal: AbortSignal, origin: string): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name !== 'AbortError') return reason;
  return new WinRmTransportError(`WinRM request to ${origin} was aborted`, 'ABORT_ERR');
}

function describe(error: NodeJS.ErrnoException, origin: string): WinRmTransportError {
  const code = error.code ?? '';
  if (code === 'ECONNREFUSED') return new WinRmTransportError(`Connection refused by WinRM at ${origin}`, code);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new WinRmTransportError(`Cannot resolve WinRM host ${origin}`, code);
  if (TLS_VERIFY_CODES.has(code)) {
    return new WinRmTransportError(
      `TLS certificate verification failed for WinRM at ${origin} (${code}); install a trusted certificate or set verify_tls_certificate=false for this host`,
      code,
    );
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || error.message === 'socket hang up') {
    return new WinRmTransportError(`Connection to WinRM at ${origin} was closed before an answer`, code || 'ECONNRESET');
  }
  return new WinRmTransportError(`Request to WinRM at ${origin} failed: ${error.message}`, code);
}
