import { HttpClient } from '../../../src/clients/http/client.ts';
import { startProxmoxEmulator } from '../../../src/emulators/proxmox/index.ts';
import type { ProxmoxEmulator, ProxmoxEmulatorOptions } from '../../../src/emulators/proxmox/index.ts';

/** A thin Proxmox API caller for the emulator tests (real HTTPS, trusting only the emulator's certificate). */
export interface ApiResponse {
  status: number;
  statusText: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or undefined when empty. */
  json: Record<string, unknown> | undefined;
  data: unknown;
}

export type Params = Record<string, string | number>;

export class TestApi {
  readonly http: HttpClient;
  authorization: string | undefined;
  extraHeaders: Record<string, string> = {};

  constructor(readonly emulator: ProxmoxEmulator) {
    this.http = new HttpClient({ baseUrl: new URL(emulator.url), verifyTls: true, ca: emulator.certificatePem });
    this.authorization = `PVEAPIToken=${emulator.user}!${emulator.token}=${emulator.secret}`;
  }

  async call(method: string, path: string, params: Params = {}, options: { json?: boolean; headers?: Record<string, string> } = {}): Promise<ApiResponse> {
    const entries = Object.entries(params).map(([key, value]) => [key, String(value)] as [string, string]);
    const form = new URLSearchParams(entries).toString();
    const hasBody = method === 'POST' || method === 'PUT';
    const query = !hasBody && form ? `?${form}` : '';
    const headers: Record<string, string> = { ...this.extraHeaders, ...options.headers };
    if (this.authorization) headers.authorization = this.authorization;
    let body: string | undefined;
    if (hasBody && entries.length > 0) {
      body = options.json ? JSON.stringify(Object.fromEntries(Object.entries(params))) : form;
      headers['content-type'] = options.json ? 'application/json' : 'application/x-www-form-urlencoded';
    }
    const response = await this.http.request({ method, path: `/api2/json${path}${query}`, headers, body, timeoutMs: 10_000 });
    const text = response.body.toString('utf8');
    const json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    return { status: response.status, statusText: response.statusText, headers: response.headers, json, data: json?.data };
  }

  get(path: string, params?: Params) {
    return this.call('GET', path, params);
  }
  post(path: string, params?: Params) {
    return this.call('POST', path, params);
  }
  put(path: string, params?: Params) {
    return this.call('PUT', path, params);
  }
  delete(path: string, params?: Params) {
    return this.call('DELETE', path, params);
  }

  /** Calls and asserts a 200, returning `data`. */
  async ok(method: string, path: string, params?: Params): Promise<unknown> {
    const response = await this.call(method, path, params);
    if (response.status !== 200) throw new Error(`${method} ${path} -> ${response.status} ${response.statusText}`);
    return response.data;
  }

  /** Polls a task until it stops; returns its final status object. */
  async waitTask(upid: string, timeoutMs = 15_000): Promise<Record<string, unknown>> {
    const node = upid.split(':')[1]!;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = (await this.ok('GET', `/nodes/${node}/tasks/${encodeURIComponent(upid)}/status`)) as Record<string, unknown>;
      if (status.status === 'stopped') return status;
      if (Date.now() > deadline) throw new Error(`task ${upid} still running`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Runs an async call and waits for its task; returns the exit status. */
  async runTask(method: string, path: string, params?: Params): Promise<string> {
    const upid = (await this.ok(method, path, params)) as string;
    const status = await this.waitTask(upid);
    return String(status.exitstatus);
  }

  async control(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await this.http.request({
      method,
      path: `/_emulator/${path}`,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      timeoutMs: 10_000,
    });
    return { status: response.status, json: JSON.parse(response.body.toString('utf8')) as Record<string, unknown> };
  }

  /** Back to the initial cluster with no fault rules and zero task times. */
  async resetAll(): Promise<void> {
    await this.control('DELETE', 'faults');
    await this.control('PUT', 'config', { taskDurationMs: 0, fullCloneDurationMs: 0, storageLockTimeoutMs: 10_000, failTasks: {} });
    await this.control('POST', 'reset');
  }

  close(): void {
    this.http.close();
  }
}

export async function startEmulator(options: ProxmoxEmulatorOptions = {}): Promise<{ emulator: ProxmoxEmulator; api: TestApi; stop: () => Promise<void> }> {
  const emulator = await startProxmoxEmulator({ port: 0, ...options });
  const api = new TestApi(emulator);
  return {
    emulator,
    api,
    stop: async () => {
      api.close();
      await emulator.close();
    },
  };
}
