// The HTTP side of the CloudStack API: `/client/api` (GET query or POST form), authentication by signature or
// session, parameter binding through the command registry, envelopes, errors, and `/metrics`.
import { fastify, LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ExtorchMetrics } from '../metrics/registry.ts';
import { envelopeBody, responseFormat, responseName, serialize, type ResponseFormat } from './envelope.ts';
import { ApiError, ApiErrorCode, CsExceptionCode, errorBody, toApiError, unauthorized } from './errors.ts';
import type { ApiJobs } from './jobs.ts';
import type { ApiAuthenticator, ApiPrincipal } from './principal.ts';
import { isAllowed, pagingFrom, parseCommandParams, type CommandRegistry, type CommandResult, type Paging, type SessionControl } from './registry.ts';
import { bindParams, findControlCharacterParam, parseRequestParams, type RawParams } from './request-params.ts';
import { parseCookies, SessionStore } from './sessions.ts';
import { verifySignedRequest } from './signing.ts';

export const API_PATH = '/client/api';
export const DEFAULT_API_PORT = 8080;
const BODY_LIMIT_BYTES = 4 * 1024 * 1024;
const SESSION_COOKIE = 'JSESSIONID';
const SESSION_KEY_COOKIE = 'sessionkey';

export interface ApiHttpServerOptions {
  registry: CommandRegistry;
  authenticator: ApiAuthenticator;
  jobs: ApiJobs;
  logger: Logger;
  metrics: ExtorchMetrics;
  clock?: () => Date;
}

export interface ApiHttpServer {
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
  /** Base URL of the API endpoint once listening, e.g. `http://127.0.0.1:8080/client/api`. */
  readonly url: string;
}

interface Outcome {
  status: number;
  body: string;
  contentType: string;
  headers: Record<string, string | string[]>;
  command: string;
  errorCode: number;
}

/** Header values must be Latin-1; CloudStack's X-Description carries the error text. */
function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 1024);
}

function errorOutcome(error: ApiError, format: ResponseFormat, name: string, command: string): Outcome {
  const { contentType, payload } = serialize(format, name, errorBody(error));
  return { status: error.errorCode, body: payload, contentType, headers: { 'X-Description': headerSafe(error.message) }, command, errorCode: error.errorCode };
}

export function createApiHttpServer(options: ApiHttpServerOptions): ApiHttpServer {
  const { registry, authenticator, jobs, logger, metrics } = options;
  const clock = options.clock ?? (() => new Date());
  const sessions = new SessionStore();
  const app = fastify({
    loggerInstance: logger,
    // We log one line per API call ourselves, with the command and never the parameters.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { ignoreTrailingSlash: true },
  });
  let baseUrl = '';

  // Form bodies are kept raw: the signature is computed over the decoded values, in our own parser.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  async function authenticate(params: RawParams, cookies: Map<string, string>): Promise<{ principal: ApiPrincipal; via: 'signature' | 'session' } | undefined> {
    const apiKey = params.find(([name]) => name.toLowerCase() === 'apikey')?.[1];
    if (apiKey !== undefined) {
      const found = await authenticator.byApiKey(apiKey);
      if (!found) return undefined;
      const check = verifySignedRequest(params, found.secretKey, clock());
      if (!check.ok) {
        logger.info({ reason: check.reason, userId: found.principal.userId }, 'api signature refused');
        return undefined;
      }
      return { principal: found.principal, via: 'signature' };
    }
    const sessionKey = params.find(([name]) => name === 'sessionkey')?.[1] ?? cookies.get(SESSION_KEY_COOKIE);
    const principal = sessions.validate(cookies.get(SESSION_COOKIE), sessionKey);
    return principal ? { principal, via: 'session' } : undefined;
  }

  async function execute(request: FastifyRequest): Promise<Outcome> {
    const rawUrl = request.raw.url ?? '';
    const queryStart = rawUrl.indexOf('?');
    const rawQuery = queryStart >= 0 ? rawUrl.slice(queryStart + 1) : '';
    const formBody = typeof request.body === 'string' && String(request.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded') ? request.body : undefined;
    const params = parseRequestParams(rawQuery, formBody);
    const literal = (name: string) => params.find(([key]) => key === name)?.[1];
    const format = responseFormat(literal('response'));
    const commandName = literal('command');
    const cookies = parseCookies(request.headers.cookie);
    const newCookies: string[] = [];

    const command = commandName === undefined ? undefined : registry.get(commandName);
    let envelope = command ? responseName(command.name) : 'errorresponse';
    const label = command?.name ?? 'unknown';
    try {
      if (request.method !== 'GET' && request.method !== 'POST') {
        throw new ApiError(ApiErrorCode.methodNotAllowed, `HTTP method ${request.method} is not allowed; use GET or POST`);
      }
      let principal: ApiPrincipal | undefined;
      if (!command?.unauthenticated) {
        const identity = await authenticate(params, cookies);
        if (!identity) throw unauthorized();
        principal = identity.principal;
        // On the signed path CloudStack rejects unknown or forbidden commands in verifyRequest: a plain 401.
        if (!command || !isAllowed(command, principal.roleType)) {
          if (identity.via === 'signature') throw unauthorized();
          envelope = 'errorresponse';
          throw new ApiError(
            ApiErrorCode.unsupportedAction,
            commandName === undefined ? 'no command specified' : `The given command:${commandName} does not exist or it is not available for user`,
          );
        }
      }
      if (!command) throw new ApiError(ApiErrorCode.unsupportedAction, 'no command specified');

      const badParam = findControlCharacterParam(params);
      if (badParam !== undefined) {
        throw new ApiError(ApiErrorCode.parameterError, `Received value containing control characters for parameter ${badParam}`, CsExceptionCode.invalidParameterValue);
      }
      const values = parseCommandParams(command, bindParams(params));
      const paging: Paging = command.list ? pagingFrom(values) : { page: 1, pageSize: undefined, offset: 0 };

      const sessionControl: SessionControl = {
        start(user) {
          sessions.end(cookies.get(SESSION_COOKIE));
          const session = sessions.create(user);
          const secure = request.protocol === 'https' ? '; Secure' : '';
          newCookies.push(`${SESSION_COOKIE}=${session.id}; Path=/client; HttpOnly${secure}`);
          newCookies.push(`${SESSION_KEY_COOKIE}=${session.key}; Path=/client; HttpOnly${secure}`);
          return session.key;
        },
        end() {
          sessions.end(cookies.get(SESSION_COOKIE));
          newCookies.push(`${SESSION_COOKIE}=; Path=/client; Max-Age=0`, `${SESSION_KEY_COOKIE}=; Path=/client; Max-Age=0`);
        },
      };
      const anonymous: ApiPrincipal = { userId: '', username: '', accountId: '', accountName: '', domainId: '', roleType: 'User', caller: undefined };
      const result: CommandResult = await command.handler(values as never, {
        command: command.name,
        principal: principal ?? anonymous,
        paging,
        jobs,
        session: sessionControl,
        registry,
      });
      const { contentType, payload } = serialize(format, envelope, envelopeBody(result));
      return { status: 200, body: payload, contentType, headers: newCookies.length ? { 'Set-Cookie': newCookies } : {}, command: label, errorCode: 0 };
    } catch (error) {
      const apiError = toApiError(error);
      if (!(error instanceof ApiError) && apiError.errorCode === ApiErrorCode.internalError) {
        logger.error({ err: error, command: label }, 'api command failed');
      }
      return errorOutcome(apiError, format, envelope, label);
    }
  }

  async function handle(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const started = process.hrtime.bigint();
    const outcome = await execute(request);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics.apiLatency.observe({ command: outcome.command, errorcode: String(outcome.errorCode) }, seconds);
    logger.info({ command: outcome.command, status: outcome.status, ms: Math.round(seconds * 1000) }, 'api request');
    void reply.code(outcome.status).headers({ 'Content-Type': outcome.contentType, ...outcome.headers }).send(outcome.body);
  }

  app.route({ method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'], url: API_PATH, handler: handle });
  app.get('/metrics', async (_request, reply) => {
    void reply.header('Content-Type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  app.setErrorHandler((error, request, reply) => {
    // Transport-level failures (oversized or unreadable bodies) still get CloudStack's error shape.
    const apiError = new ApiError(ApiErrorCode.malformedParameter, `Unable to read request: ${(error as Error).message}`);
    const outcome = errorOutcome(apiError, responseFormat(new URLSearchParams((request.raw.url ?? '').split('?')[1] ?? '').get('response') ?? undefined), 'errorresponse', 'unknown');
    void reply.code(outcome.status).headers({ 'Content-Type': outcome.contentType, ...outcome.headers }).send(outcome.body);
  });

  return {
    async listen(port = DEFAULT_API_PORT, host = '127.0.0.1') {
      const address = await app.listen({ port, host });
      baseUrl = `${address}${API_PATH}`;
      return baseUrl;
    },
    async close() {
      await app.close();
      await jobs.drain();
    },
    get url() {
      return baseUrl;
    },
  };
}
