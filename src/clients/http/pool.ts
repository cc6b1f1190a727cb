import { createHash } from 'node:crypto';
import { HttpClient, type HttpClientOptions } from './client.ts';

/**
 * Keeps one HttpClient (one keep-alive agent) per endpoint and TLS setting, so that in-process invocations
 * against the same host reuse warm connections instead of paying a TLS handshake each time. Idle sockets of
 * node's keep-alive agent are unref'd, so a pool never keeps a process alive. Credentials are not part of
 * a client (they travel per request), so sharing a connection never shares a secret.
 */
export class HttpClientPool {
  readonly #clients = new Map<string, HttpClient>();

  constructor(private readonly maxClients = 64) {}

  get(options: HttpClientOptions): HttpClient {
    const key = poolKey(options);
    const existing = this.#clients.get(key);
    if (existing) {
      // Refresh the entry's position: the map's order is least recently used first.
      this.#clients.delete(key);
      this.#clients.set(key, existing);
      return existing;
    }
    const client = new HttpClient(options);
    this.#clients.set(key, client);
    while (this.#clients.size > this.maxClients) {
      const [oldestKey, oldest] = this.#clients.entries().next().value as [string, HttpClient];
      this.#clients.delete(oldestKey);
      oldest.close();
    }
    return client;
  }

  /** Closes every connection (tests and shutdown). */
  closeAll(): void {
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }
}

function poolKey(options: HttpClientOptions): string {
  const ca = options.ca === undefined ? '' : createHash('sha256').update([options.ca].flat().join('\n')).digest('hex');
  return `${options.baseUrl.href}|verify=${options.verifyTls}|ca=${ca}|max=${options.maxSockets ?? ''}`;
}
