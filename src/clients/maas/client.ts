import OAuth from 'oauth-1.0a';
import { DeadlineExceededError, sleep, type Deadline } from '../../contract/deadline.ts';
import { HttpClient, TransportError, type HttpResponse } from '../http/client.ts';
import type { MaasApiKey } from './api-key.ts';
import { maasApiBaseUrl } from './endpoint.ts';
import { MaasApiError, describeErrorBody } from './errors.ts';
import { encodeMultipart, encodeQuery, paramPairs, type MaasParams } from './form.ts';
import { DEFAULT_MAAS_RETRY_POLICY, DEFAULT_MAAS_TIMEOUTS, type MaasRetryPolicy, type MaasTimeouts } from './policy.ts';
import type { MaasMachine, MaasPowerState, MaasUser, MaasVersion } from './types.ts';

export interface MaasClientOptions {
  /** Site root from `parseMaasEndpoint` (no `/MAAS`). */
  readonly site: URL;
  readonly apiKey: MaasApiKey;
  readonly verifyTls?: boolean;
  readonly ca?: string | readonly string[];
  readonly retryPolicy?: MaasRetryPolicy;
  readonly timeouts?: MaasTimeouts;
}

export interface MaasCall {
  readonly op?: string;
  /** Query parameters for GET; multipart/form-data body fields for POST and PUT. */
  readonly params?: MaasParams;
  /** Answers with these statuses resolve to `undefined` instead of throwing (e.g. 404 on release). */
  readonly tolerate?: readonly number[];
  readonly timeoutMs?: number;
}

export interface AllocateConstraints {
  readonly system_id?: string;
  readonly name?: string;
  readonly cpu_count?: number;
  /** Minimum memory in MiB. */
  readonly mem?: number;
  readonly arch?: string | readonly string[];
  readonly tags?: readonly string[];
  readonly not_tags?: readonly string[];
  readonly pool?: string;
  readonly zone?: string;
  readonly agent_name?: string;
  readonly comment?: string;
}

export interface DeployParams {
  readonly distro_series?: string;
  readonly osystem?: string;
  /** Base64-encoded, as MAAS expects it. */
  readonly user_data?: string;
  readonly hwe_kernel?: string;
  readonly comment?: string;
}

export interface ReleaseParams {
  readonly erase?: boolean;
  readonly quick_erase?: boolean;
  readonly secure_erase?: boolean;
  readonly comment?: string;
}

/** Idempotent methods may be retried after any transport failure; others only when MAAS was never reached. */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);

/**
 * A client for the MAAS API 2.0 on the shared HttpClient: OAuth 1.0 PLAINTEXT signing (the scheme MAAS
 * documents) through `oauth-1.0a`, `op` in the query string, multipart bodies, readable errors, a timeout on
 * every call taken from the caller's deadline, and retries per `MaasRetryPolicy`.
 */
export class MaasClient {
  readonly site: URL;
  readonly #http: HttpClient;
  readonly #oauth: OAuth;
  readonly #token: OAuth.Token;
  readonly #retry: MaasRetryPolicy;
  readonly #timeouts: MaasTimeouts;

  constructor(options: MaasClientOptions) {
    this.site = options.site;
    this.#http = new HttpClient({ baseUrl: maasApiBaseUrl(options.site), verifyTls: options.verifyTls ?? true, ca: options.ca, maxSockets: 16 });
    // MAAS consumers have an empty secret; PLAINTEXT then signs as `&<token secret>` (percent-encoded).
    this.#oauth = new OAuth({ consumer: { key: options.apiKey.consumerKey, secret: '' }, signature_method: 'PLAINTEXT', realm: 'OAuth' });
    this.#token = { key: options.apiKey.tokenKey, secret: options.apiKey.tokenSecret };
    this.#retry = options.retryPolicy ?? DEFAULT_MAAS_RETRY_POLICY;
    this.#timeouts = options.timeouts ?? DEFAULT_MAAS_TIMEOUTS;
  }

  /** One API call; `path` is relative to `/MAAS/api/2.0` and ends with `/`. Returns the parsed JSON body. */
  async call<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, call: MaasCall, deadline: Deadline): Promise<T | undefined> {
    const pairs = paramPairs(call.params);
    const queryPairs: Array<[string, string]> = call.op ? [['op', call.op]] : [];
    if (method === 'GET' || method === 'DELETE') queryPairs.push(...pairs);
    const query = queryPairs.length > 0 ? `?${encodeQuery(queryPairs)}` : '';
    const operation = `${method} ${path}${call.op ? `?op=${call.op}` : ''}`;
    const form = method === 'POST' || method === 'PUT' ? encodeMultipart(pairs) : undefined;
    const response = await this.#sendWithRetry(method, `${path}${query}`, form, call.timeoutMs ?? this.#timeouts.requestMs, deadline);
    if (response.status >= 200 && response.status < 300) return parseJsonBody<T>(response);
    if (call.tolerate?.includes(response.status)) return undefined;
    const contentType = Array.isArray(response.headers['content-type']) ? response.headers['content-type'][0] : response.headers['content-type'];
    throw new MaasApiError(response.status, describeErrorBody(response.status, response.statusText, contentType, response.body), operation);
  }

  async #sendWithRetry(
    method: string,
    pathAndQuery: string,
    form: { contentType: string; body: Buffer } | undefined,
    capMs: number,
    deadline: Deadline,
  ): Promise<HttpResponse> {
    let delayMs = this.#retry.initialDelayMs;
    for (let attempt = 1; ; attempt += 1) {
      deadline.throwIfExpired();
      const timeoutMs = deadline.budget(capMs);
      if (timeoutMs <= 0) throw new DeadlineExceededError();
      const url = new URL(`${this.#http.baseUrl.href.replace(/\/+$/, '')}${pathAndQuery}`);
      const headers: Record<string, string> = {
        accept: 'application/json',
        ...this.#oauth.toHeader(this.#oauth.authorize({ url: url.href, method }, this.#token)),
        ...(form ? { 'content-type': form.contentType } : {}),
      };
      const last = attempt >= this.#retry.attempts;
      try {
        const response = await this.#http.request({ method, path: pathAndQuery, headers, body: form?.body, timeoutMs, signal: deadline.signal });
        if (last || !this.#retry.retryStatuses.includes(response.status) || !IDEMPOTENT_METHODS.has(method)) return response;
      } catch (error) {
        const code = error instanceof TransportError ? error.code : undefined;
        const retryable =
          code !== undefined &&
          this.#retry.retryTransportCodes.includes(code) &&
          (IDEMPOTENT_METHODS.has(method) || code === 'ECONNREFUSED') &&
          !deadline.signal.aborted;
        if (last || !retryable) throw error;
      }
      await sleep(Math.min(delayMs, deadline.remainingMs()), deadline.signal);
      delayMs = Math.min(delayMs * 2, this.#retry.maxDelayMs);
    }
  }

  async #required<T>(value: Promise<T | undefined>, what: string): Promise<T> {
    const result = await value;
    if (result === undefined) throw new Error(`MAAS returned an empty answer for ${what}`);
    return result;
  }

  version(deadline: Deadline): Promise<MaasVersion> {
    return this.#required(this.call<MaasVersion>('GET', '/version/', {}, deadline), 'version');
  }

  whoami(deadline: Deadline): Promise<MaasUser> {
    return this.#required(this.call<MaasUser>('GET', '/users/', { op: 'whoami' }, deadline), 'whoami');
  }

  listMachines(filters: MaasParams, deadline: Deadline): Promise<MaasMachine[]> {
    return this.#required(this.call<MaasMachine[]>('GET', '/machines/', { params: filters }, deadline), 'machines');
  }

  /** Machines allocated to this API key (token), whatever their state: one call for a whole host report. */
  listAllocated(deadline: Deadline): Promise<MaasMachine[]> {
    return this.#required(this.call<MaasMachine[]>('GET', '/machines/', { op: 'list_allocated' }, deadline), 'allocated machines');
  }

  /** The machine, or `undefined` when MAAS does not know the system id (404). */
  readMachine(systemId: string, deadline: Deadline): Promise<MaasMachine | undefined> {
    return this.call<MaasMachine>('GET', machinePath(systemId), { tolerate: [404] }, deadline);
  }

  /** Claims a Ready machine atomically (MAAS serialises allocations); 409 when none matches. */
  allocate(constraints: AllocateConstraints, deadline: Deadline): Promise<MaasMachine> {
    return this.#required(this.call<MaasMachine>('POST', '/machines/', { op: 'allocate', params: { ...constraints } }, deadline), 'allocate');
  }

  deploy(systemId: string, params: DeployParams, deadline: Deadline): Promise<MaasMachine> {
    return this.#required(this.call<MaasMachine>('POST', machinePath(systemId), { op: 'deploy', params: { ...params } }, deadline), 'deploy');
  }

  /** Releases a machine; resolves `undefined` when MAAS does not know it (404). */
  release(systemId: string, params: ReleaseParams, deadline: Deadline): Promise<MaasMachine | undefined> {
    return this.call<MaasMachine>('POST', machinePath(systemId), { op: 'release', params: { ...params }, tolerate: [404] }, deadline);
  }

  abort(systemId: string, deadline: Deadline): Promise<MaasMachine | undefined> {
    return this.call<MaasMachine>('POST', machinePath(systemId), { op: 'abort' }, deadline);
  }

  powerOn(systemId: string, deadline: Deadline): Promise<MaasMachine | undefined> {
    return this.call<MaasMachine>('POST', machinePath(systemId), { op: 'power_on' }, deadline);
  }

  powerOff(systemId: string, deadline: Deadline, stopMode: 'hard' | 'soft' = 'hard'): Promise<MaasMachine | undefined> {
    return this.call<MaasMachine>('POST', machinePath(systemId), { op: 'power_off', params: { stop_mode: stopMode } }, deadline);
  }

  /** Asks the BMC (GET `op=query_power_state`); slow on real hardware, hence its own timeout cap. */
  async queryPowerState(systemId: string, deadline: Deadline): Promise<MaasPowerState | string> {
    const answer = await this.#required(
      this.call<{ state?: string }>('GET', machinePath(systemId), { op: 'query_power_state', timeoutMs: this.#timeouts.powerQueryMs }, deadline),
      'query_power_state',
    );
    return typeof answer.state === 'string' ? answer.state : 'unknown';
  }

  updateMachine(systemId: string, fields: MaasParams, deadline: Deadline): Promise<MaasMachine> {
    return this.#required(this.call<MaasMachine>('PUT', machinePath(systemId), { params: fields }, deadline), 'machine update');
  }

  close(): void {
    this.#http.close();
  }
}

export function machinePath(systemId: string): string {
  return `/machines/${encodeURIComponent(systemId)}/`;
}

function parseJsonBody<T>(response: HttpResponse): T | undefined {
  const text = response.body.toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`MAAS answered ${response.status} with a body that is not JSON`);
  }
}
