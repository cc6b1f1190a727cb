// Serves the web console (ui/dist, built by `npm run build`) at `/` next to the API at /client/api (ADR 0080).
// The console is plain static files: hashed assets are cached for good, index.html is always revalidated.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fastifyStatic } from '@fastify/static';
import type { FastifyInstance, RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';

const INDEX_FILE = 'index.html';
const ONE_YEAR_SECONDS = 31_536_000;

/**
 * Where the built console is: `ui/dist` beside `dist/` when running the bundled `extorch`, or two levels up
 * from this file when running from source. Undefined when the console has not been built.
 */
export function findConsoleRoot(): string | undefined {
  for (const relative of ['../ui/dist/', '../../ui/dist/']) {
    const candidate = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(`${candidate}${INDEX_FILE}`)) return candidate;
  }
  return undefined;
}

export function registerConsole(app: FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, Logger>, root: string): void {
  void app.register(fastifyStatic, {
    root,
    prefix: '/',
    index: INDEX_FILE,
    // Only the files that exist are routes; /client/api and /metrics keep their own handlers.
    wildcard: false,
    // Our own Cache-Control below; @fastify/send's default (max-age=0) would override it.
    cacheControl: false,
    setHeaders(response, path) {
      const immutable = path.includes('/assets/');
      response.setHeader('Cache-Control', immutable ? `public, max-age=${ONE_YEAR_SECONDS}, immutable` : 'no-cache');
    },
  });
}
