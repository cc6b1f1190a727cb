// The console's only way to the server: CloudStack's API at /client/api with a login session
// (`login` → `sessionkey`, sent back as a parameter; the HttpOnly JSESSIONID cookie rides along).

import type { ApiObject, ApiParams } from './types.ts';

export type { ApiObject, ApiParams } from './types.ts';

/** A CloudStack error answer (`errorcode`, `cserrorcode`, `errortext`), or a failed async job. */
export class ApiError extends Error {
  readonly errorCode: number;
  constructor(errorCode: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.errorCode = errorCode;
  }
}

export interface LoginInfo {
  sessionkey: string;
  username: string;
  userid: string;
  account: string;
  domainid: string;
  /** CloudStack account type as a string: 0 User, 1 Admin, 2 DomainAdmin, 3 ResourceAdmin. */
  type: string;
}

export interface JobResult {
  jobid: string;
  jobstatus: number;
  jobprocstatus?: number;
  /** extorch only: the step a pending job is in. */
  jobprocstep?: string;
  jobresultcode?: number;
  jobresult?: ApiObject;
}

/** How often a running job is polled; the API answers from memory, so a short interval costs little. */
export const JOB_POLL_INTERVAL_MS = 400;
export const API_PATH = '/client/api';

const SESSION_STORAGE_KEY = 'extorch.session';

function toForm(command: string, params: ApiParams, sessionKey: string | undefined): URLSearchParams {
  const form = new URLSearchParams({ command, response: 'json' });
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === '') continue;
    form.set(name, String(value));
  }
  if (sessionKey) form.set('sessionkey', sessionKey);
  return form;
}

/** The single object inside `{"<command>response": {...}}`. */
function unwrap(body: unknown): ApiObject {
  if (body && typeof body === 'object') {
    const values = Object.values(body as ApiObject);
    if (values.length === 1 && values[0] && typeof values[0] === 'object') return values[0] as ApiObject;
  }
  throw new ApiError(530, 'The server sent an answer the console does not understand');
}

export class CloudStackSession {
  private info: LoginInfo | undefined;
  /** Called when the server no longer accepts the session (expired, logged out elsewhere). */
  onExpired: () => void = () => undefined;

  constructor() {
    const saved = sessionStorage.getItem(SESSION_STORAGE_KEY);
    if (saved) this.info = JSON.parse(saved) as LoginInfo;
  }

  get user(): LoginInfo | undefined {
    return this.info;
  }

  async login(username: string, password: string, domain: string): Promise<LoginInfo> {
    const answer = await this.request('login', { username, password, domain: domain || '/' }, false);
    this.info = answer as unknown as LoginInfo;
    sessionStorage.setItem(SESSION_STORAGE_KEY, JSON.stringify(this.info));
    return this.info;
  }

  async logout(): Promise<void> {
    try {
      await this.request('logout', {}, true);
    } finally {
      this.forget();
    }
  }

  forget(): void {
    this.info = undefined;
    sessionStorage.removeItem(SESSION_STORAGE_KEY);
  }

  /** Runs a command; mutating commands go as POST forms, reads as GET (as CloudStack's own UI does). */
  call(command: string, params: ApiParams = {}): Promise<ApiObject> {
    return this.request(command, params, true);
  }

  /** A list command's items (CloudStack omits the array when the list is empty). */
  async list<T = ApiObject>(command: string, key: string, params: ApiParams = {}): Promise<{ items: T[]; count: number }> {
    const answer = await this.call(command, params);
    const items = (answer[key] as T[] | undefined) ?? [];
    return { items, count: typeof answer.count === 'number' ? answer.count : items.length };
  }

  /** Starts an async command and waits for its job; `onProgress` sees every poll. */
  async callAsync(command: string, params: ApiParams, onProgress?: (job: JobResult) => void): Promise<ApiObject> {
    const started = await this.call(command, params);
    const jobid = String(started.jobid ?? '');
    if (!jobid) return started;
    return this.waitForJob(jobid, onProgress);
  }

  async waitForJob(jobid: string, onProgress?: (job: JobResult) => void): Promise<ApiObject> {
    for (;;) {
      const job = (await this.call('queryAsyncJobResult', { jobid })) as unknown as JobResult;
      onProgress?.(job);
      if (job.jobstatus === 1) return job.jobresult ?? {};
      if (job.jobstatus !== 0) {
        const result = job.jobresult ?? {};
        throw new ApiError(Number(result.errorcode ?? job.jobresultcode ?? 530), String(result.errortext ?? 'The job failed'));
      }
      await new Promise((resolve) => setTimeout(resolve, JOB_POLL_INTERVAL_MS));
    }
  }

  private async request(command: string, params: ApiParams, authenticated: boolean): Promise<ApiObject> {
    const form = toForm(command, params, authenticated ? this.info?.sessionkey : undefined);
    const isRead = /^(list|query|get)/.test(command);
    const response = isRead
      ? await fetch(`${API_PATH}?${form.toString()}`, { credentials: 'same-origin' })
      : await fetch(API_PATH, { method: 'POST', body: form, credentials: 'same-origin' });
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      throw new ApiError(response.status, `The server answered ${response.status} ${response.statusText} without a CloudStack response`);
    }
    const inner = unwrap(body);
    if (typeof inner.errorcode === 'number' || !response.ok) {
      const error = new ApiError(Number(inner.errorcode ?? response.status), String(inner.errortext ?? response.statusText));
      if (error.errorCode === 401 && authenticated) {
        this.forget();
        this.onExpired();
      }
      throw error;
    }
    return inner;
  }
}
