import { createHash } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { DeadlineExceededError, sleep, type Deadline } from '../../contract/deadline.ts';
import { TransportError, type HttpClient, type HttpResponse } from '../http/client.ts';
import { ProxmoxApiError, ProxmoxProtocolError, ProxmoxTaskError, ProxmoxTaskTimeoutError } from './errors.ts';
import { apiPath, encodeForm, encodeQuery, type FormParameters } from './form.ts';
import { DEFAULT_PROXMOX_POLICY, pollingDelays, type ProxmoxClientPolicy } from './policy.ts';
import type {
  ClusterVmResource,
  NodeNetworkInterface,
  NodeVmEntry,
  ProxmoxVersion,
  SnapshotEntry,
  TaskStatus,
  VmConfig,
  VmCurrentStatus,
  VncProxyTicket,
} from './types.ts';
import { describeTask, parseUpid } from './upid.ts';

/** An API token: `Authorization: PVEAPIToken=<user>!<tokenId>=<secret>`. */
export interface ProxmoxApiToken {
  readonly user: string;
  readonly tokenId: string;
  readonly secret: string;
}

export interface ProxmoxClientOptions {
  /** Connection to `https://host:8006/api2/json` (may be shared between invocations). */
  readonly http: HttpClient;
  readonly token: ProxmoxApiToken;
  /** The invocation's deadline: caps every request timeout and every task wait. */
  readonly deadline: Deadline;
  readonly policy?: ProxmoxClientPolicy;
}

/** How a finished task ended when it did not fail: `OK`, or `WARNINGS: n` (n ≥ 1). */
export interface TaskOutcome {
  readonly upid: string;
  readonly warnings: number;
}

export type PowerAction = 'start' | 'stop' | 'shutdown' | 'reboot';

const TOKEN_USER = /^[^\s!=:;]+@[^\s!=:;]+$/;
const TOKEN_ID = /^[A-Za-z][A-Za-z0-9._-]*$/;
const TOKEN_SECRET = /^[\x21-\x7e]+$/;

/** Builds the Authorization header value; never puts the secret into an error message. */
export function apiTokenHeader(token: ProxmoxApiToken): string {
  if (!TOKEN_USER.test(token.user)) throw new Error(`Invalid Proxmox user '${token.user}': expected user@realm`);
  if (!TOKEN_ID.test(token.tokenId)) throw new Error(`Invalid Proxmox API token id '${token.tokenId}'`);
  if (!TOKEN_SECRET.test(token.secret)) throw new Error('Invalid Proxmox API token secret: it must be printable ASCII without spaces');
  return `PVEAPIToken=${token.user}!${token.tokenId}=${token.secret}`;
}

/**
 * A thin typed client of the Proxmox VE API (`/api2/json`): token authentication, form bodies, encoded path
 * segments, envelope parsing, errors that keep the HTTP status, and UPID task waiting. One instance serves one
 * invocation (it holds that invocation's deadline); the HttpClient underneath may be shared.
 */
export class ProxmoxClient {
  readonly #http: HttpClient;
  readonly #token: ProxmoxApiToken;
  readonly #authorization: string;
  readonly #deadline: Deadline;
  readonly #policy: ProxmoxClientPolicy;

  constructor(options: ProxmoxClientOptions) {
    this.#http = options.http;
    this.#token = options.token;
    this.#authorization = apiTokenHeader(options.token);
    this.#deadline = options.deadline;
    this.#policy = options.policy ?? DEFAULT_PROXMOX_POLICY;
  }

  get deadline(): Deadline {
    return this.#deadline;
  }

  /**
   * Who is asking where: the endpoint and a digest of the full token (secret included), so that answers kept
   * for reuse are only ever shared between invocations holding the same valid credentials.
   */
  get scope(): string {
    return `${this.#http.baseUrl.href}|${createHash('sha256').update(this.#authorization).digest('base64url')}`;
  }

  /** The same connection and credentials under another deadline (e.g. a sub-deadline that keeps time for cleanup). */
  withDeadline(deadline: Deadline): ProxmoxClient {
    return new ProxmoxClient({ http: this.#http, token: this.#token, deadline, policy: this.#policy });
  }

  // ---- generic requests -------------------------------------------------------------------------------

  get<T>(path: string, query?: FormParameters): Promise<T> {
    return this.#call<T>('GET', `${path}${encodeQuery(query)}`);
  }

  post<T>(path: string, parameters: FormParameters = {}): Promise<T> {
    return this.#call<T>('POST', path, encodeForm(parameters));
  }

  put<T>(path: string, parameters: FormParameters = {}): Promise<T> {
    return this.#call<T>('PUT', path, encodeForm(parameters));
  }

  /** DELETE carries its parameters in the query: Proxmox refuses a body on DELETE. */
  delete<T>(path: string, query?: FormParameters): Promise<T> {
    return this.#call<T>('DELETE', `${path}${encodeQuery(query)}`);
  }

  async #call<T>(method: string, pathAndQuery: string, body?: string): Promise<T> {
    const operation = `${method} ${pathAndQuery.split('?')[0]}`;
    const response = await this.#send(method, pathAndQuery, body);
    return parseEnvelope<T>(response, operation);
  }

  async #send(method: string, path: string, body: string | undefined): Promise<HttpResponse> {
    const { retry, request } = this.#policy;
    const attempts = retry.idempotentMethods.has(method) ? Math.max(1, retry.attempts) : 1;
    const headers: Record<string, string> = { authorization: this.#authorization, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    for (let attempt = 1; ; attempt += 1) {
      this.#deadline.throwIfExpired();
      try {
        return await this.#http.request({
          method,
          path,
          headers,
          ...(body !== undefined ? { body } : {}),
          timeoutMs: this.#deadline.budget(request.timeoutMs),
          signal: this.#deadline.signal,
        });
      } catch (error) {
        const retryable = error instanceof TransportError && error.code !== undefined && retry.retryOnTransportCodes.has(error.code);
        if (!retryable || attempt >= attempts) throw error;
      }
    }
  }

  // ---- tasks --------------------------------------------------------------------------------------------

  taskStatus(node: string, upid: string): Promise<TaskStatus> {
    return this.get<TaskStatus>(apiPath`/nodes/${node}/tasks/${upid}/status`);
  }

  /** Asks Proxmox to stop a running task (a stopped clone or create task removes what it made). */
  async stopTask(node: string, upid: string): Promise<void> {
    await this.delete<null>(apiPath`/nodes/${node}/tasks/${upid}`);
  }

  /**
   * Polls a task until it stops, on the node that runs it (taken from the UPID), with delays that start fast
   * and back off to the policy's maximum. `OK` and `WARNINGS: n` are success; any other exit status throws
   * ProxmoxTaskError; the deadline passing throws ProxmoxTaskTimeoutError.
   */
  async waitForTask(upid: string): Promise<TaskOutcome> {
    const task = parseUpid(upid);
    if (!task) throw new ProxmoxProtocolError(`Proxmox returned an unexpected task id '${upid}'`);
    const description = describeTask(task);
    const timedOut = () => new ProxmoxTaskTimeoutError(upid, task.node, description);
    for (const delay of pollingDelays(this.#policy.taskPolling)) {
      try {
        await sleep(Math.min(delay, this.#deadline.remainingMs()), this.#deadline.signal);
        this.#deadline.throwIfExpired();
        const status = await this.taskStatus(task.node, upid);
        if (status.status !== 'running') return taskOutcome(upid, description, status);
      } catch (error) {
        if (error instanceof DeadlineExceededError || this.#deadline.expired) throw timedOut();
        throw error;
      }
    }
    throw timedOut();
  }

  /** Runs an asynchronous call and waits for its task. */
  async runTask(start: Promise<string>): Promise<TaskOutcome> {
    return this.waitForTask(await start);
  }

  // ---- cluster ------------------------------------------------------------------------------------------

  version(): Promise<ProxmoxVersion> {
    return this.get<ProxmoxVersion>('/version');
  }

  /** The lowest free VMID (a hint: Proxmox reserves nothing). */
  async nextId(): Promise<number> {
    return parseVmid(await this.get<string | number>('/cluster/nextid'), 'GET /cluster/nextid');
  }

  /** Whether `vmid` is unused cluster-wide, decided by the API's structured answer (400 with `errors.vmid`). */
  async isVmidFree(vmid: number): Promise<boolean> {
    try {
      await this.get<string | number>('/cluster/nextid', { vmid });
      return true;
    } catch (error) {
      if (error instanceof ProxmoxApiError && error.rejectsParameter('vmid')) return false;
      throw error;
    }
  }

  /** Every guest of the cluster with its node, status, template flag and tags, in one call. */
  async clusterVms(): Promise<ClusterVmResource[]> {
    return expectArray<ClusterVmResource>(await this.get<unknown>('/cluster/resources', { type: 'vm' }), 'GET /cluster/resources');
  }

  async nodeNetwork(node: string): Promise<NodeNetworkInterface[]> {
    return expectArray<NodeNetworkInterface>(await this.get<unknown>(apiPath`/nodes/${node}/network`), 'GET /nodes/{node}/network');
  }

  // ---- VMs ----------------------------------------------------------------------------------------------

  async nodeVms(node: string): Promise<NodeVmEntry[]> {
    return expectArray<NodeVmEntry>(await this.get<unknown>(apiPath`/nodes/${node}/qemu`), 'GET /nodes/{node}/qemu');
  }

  vmConfig(node: string, vmid: number): Promise<VmConfig> {
    return this.get<VmConfig>(apiPath`/nodes/${node}/qemu/${vmid}/config`);
  }

  vmStatus(node: string, vmid: number): Promise<VmCurrentStatus> {
    return this.get<VmCurrentStatus>(apiPath`/nodes/${node}/qemu/${vmid}/status/current`);
  }

  /** `POST /nodes/{node}/qemu`: creates a VM; returns the `qmcreate` UPID. */
  createVm(node: string, parameters: FormParameters & { vmid: number }): Promise<string> {
    return this.#startTask('POST', apiPath`/nodes/${node}/qemu`, parameters);
  }

  /** `POST /nodes/{node}/qemu/{vmid}/clone` on the source's node; returns the `qmclone` UPID. */
  cloneVm(node: string, sourceVmid: number, parameters: FormParameters & { newid: number }): Promise<string> {
    return this.#startTask('POST', apiPath`/nodes/${node}/qemu/${sourceVmid}/clone`, parameters);
  }

  /** `PUT …/config`: synchronous configuration change. */
  async updateVmConfig(node: string, vmid: number, parameters: FormParameters): Promise<void> {
    await this.put<null>(apiPath`/nodes/${node}/qemu/${vmid}/config`, parameters);
  }

  powerVm(node: string, vmid: number, action: PowerAction, parameters: FormParameters = {}): Promise<string> {
    return this.#startTask('POST', apiPath`/nodes/${node}/qemu/${vmid}/status/${action}`, parameters);
  }

  deleteVm(node: string, vmid: number, parameters: FormParameters = {}): Promise<string> {
    return this.#startTask('DELETE', apiPath`/nodes/${node}/qemu/${vmid}`, parameters);
  }

  async snapshots(node: string, vmid: number): Promise<SnapshotEntry[]> {
    return expectArray<SnapshotEntry>(await this.get<unknown>(apiPath`/nodes/${node}/qemu/${vmid}/snapshot`), 'GET …/snapshot');
  }

  createSnapshot(node: string, vmid: number, parameters: FormParameters & { snapname: string }): Promise<string> {
    return this.#startTask('POST', apiPath`/nodes/${node}/qemu/${vmid}/snapshot`, parameters);
  }

  rollbackSnapshot(node: string, vmid: number, snapshot: string): Promise<string> {
    return this.#startTask('POST', apiPath`/nodes/${node}/qemu/${vmid}/snapshot/${snapshot}/rollback`, {});
  }

  deleteSnapshot(node: string, vmid: number, snapshot: string): Promise<string> {
    return this.#startTask('DELETE', apiPath`/nodes/${node}/qemu/${vmid}/snapshot/${snapshot}`, {});
  }

  vncProxy(node: string, vmid: number, parameters: FormParameters = {}): Promise<VncProxyTicket> {
    return this.post<VncProxyTicket>(apiPath`/nodes/${node}/qemu/${vmid}/vncproxy`, parameters);
  }

  async #startTask(method: 'POST' | 'DELETE', path: string, parameters: FormParameters): Promise<string> {
    const data = method === 'POST' ? await this.post<unknown>(path, parameters) : await this.delete<unknown>(path, parameters);
    if (typeof data !== 'string' || data === '') {
      throw new ProxmoxProtocolError(`${method} ${path}: Proxmox answered without a task id`);
    }
    return data;
  }
}

function taskOutcome(upid: string, description: string, status: TaskStatus): TaskOutcome {
  const exit = (status.exitstatus ?? '').trim();
  if (exit === 'OK') return { upid, warnings: 0 };
  const warnings = /^WARNINGS: (\d+)$/.exec(exit);
  if (warnings) return { upid, warnings: Number(warnings[1]) };
  throw new ProxmoxTaskError(upid, description, exit === '' ? 'unknown (no exit status reported)' : exit);
}

function parseVmid(value: unknown, operation: string): number {
  const vmid = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(vmid) || vmid <= 0) throw new ProxmoxProtocolError(`${operation}: unexpected VMID ${JSON.stringify(value)}`);
  return vmid;
}

function expectArray<T>(value: unknown, operation: string): T[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) throw new ProxmoxProtocolError(`${operation}: expected a list from Proxmox`);
  return value as T[];
}

/**
 * Reads the `{"data": …}` envelope. For errors, the reason phrase comes first (Proxmox puts its message there),
 * unless it is only the generic text of the status code, then `message`, then `errors{param: text}`.
 */
export function parseEnvelope<T>(response: HttpResponse, operation: string): T {
  const text = response.body.toString('utf8');
  let body: unknown;
  let parsed = false;
  if (text.trim() !== '') {
    try {
      body = JSON.parse(text);
      parsed = true;
    } catch {
      parsed = false;
    }
  }
  const envelope = parsed && typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  if (response.status >= 400) {
    const parameterErrors = stringMap(envelope?.['errors']);
    const reasonPhrase = response.statusText.trim();
    const message = typeof envelope?.['message'] === 'string' ? envelope['message'].trim().split('\n')[0]!.trim() : '';
    const generic = reasonPhrase === '' || reasonPhrase === STATUS_CODES[response.status];
    const reason = (generic && message !== '' ? message : reasonPhrase) || message || `HTTP ${response.status}`;
    throw new ProxmoxApiError(operation, response.status, reason, parameterErrors);
  }
  if (text.trim() === '') return null as T;
  if (!parsed) throw new ProxmoxProtocolError(`${operation}: invalid JSON response from Proxmox API (HTTP ${response.status})`);
  if (!envelope || !('data' in envelope)) throw new ProxmoxProtocolError(`${operation}: invalid response from Proxmox API (no data envelope)`);
  return envelope['data'] as T;
}

function stringMap(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const result: Record<string, string> = {};
  for (const [key, text] of Object.entries(value)) result[key] = typeof text === 'string' ? text.trim() : JSON.stringify(text);
  return result;
}
