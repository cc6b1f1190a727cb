// The two existing CloudStack clients the workflow runs through, behind one small interface. Each adapter
// checks what that client relies on: csclient hands back the raw envelope (`<command>response` as the single
// key) and the raw queryAsyncJobResult body; python3-cs strips the envelope itself and raises on any answer
// that is not exactly one key, on a non-JSON content type, and on a failed job.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

export type Json = Record<string, unknown>;
export type Params = Record<string, string>;

export class ClientApiError extends Error {
  constructor(
    message: string,
    readonly httpStatus: number,
    readonly body: Json | null,
  ) {
    super(message);
  }
}

export interface WorkflowClient {
  readonly name: string;
  /** A synchronous command: the response object without its envelope. */
  sync(command: string, params?: Params): Promise<Json>;
  /** An async command polled to completion: the job's `jobresult`. */
  async(command: string, params?: Params): Promise<Json>;
  close(): Promise<void>;
}

interface CsClient {
  on(event: 'ready' | 'error', listener: (error?: Error) => void): void;
  execute(command: string, params: Json, callback: (error: (Error & { code?: number }) | null, result: Json) => void): void;
}
const require = createRequire(import.meta.url);

/** npm `csclient`: single-executor mode (listApis decides what is async), GET, signature v3. */
export async function csclientClient(apiUrl: string, keys: { apiKey: string; secretKey: string }): Promise<WorkflowClient> {
  const CloudStackClient = require('csclient') as new (options: Json) => CsClient;
  const client = new CloudStackClient({ baseUrl: `${apiUrl}?`, apiKey: keys.apiKey, secretKey: keys.secretKey, singleExecutor: true, pollingTime: 10, pollingNumber: 3000 });
  await new Promise<void>((resolve, reject) => {
    client.on('ready', () => resolve());
    client.on('error', (error) => reject(error ?? new Error('csclient failed to start')));
  });
  const execute = (command: string, params: Params) =>
    new Promise<Json>((resolve, reject) =>
      client.execute(command, { ...params }, (error, result) => (error ? reject(new ClientApiError(error.message, error.code ?? 0, null)) : resolve(result))),
    );
  return {
    name: 'csclient',
    async sync(command, params = {}) {
      const body = await execute(command, params);
      const envelope = `${command.toLowerCase()}response`;
      assert.deepEqual(Object.keys(body), [envelope], `${command}: the envelope must be the single key ${envelope}`);
      return body[envelope] as Json;
    },
    async async(command, params = {}) {
      const body = await execute(command, params);
      assert.equal(body.jobstatus, 1, `${command}: job did not succeed: ${JSON.stringify(body)}`);
      assert.equal(body.jobresultcode, 0);
      assert.equal(typeof body.jobid, 'string');
      return body.jobresult as Json;
    },
    async close() {},
  };
}

const SYSTEM_PYTHON = '/usr/bin/python3';
const DRIVER = fileURLToPath(new URL('./cs_driver.py', import.meta.url));

/** Debian `python3-cs` (the `cs` module under the system interpreter), one long-lived driver process. */
export async function pythonCsClient(apiUrl: string, keys: { apiKey: string; secretKey: string }): Promise<WorkflowClient> {
  const child: ChildProcessWithoutNullStreams = spawn(SYSTEM_PYTHON, [DRIVER], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', CLOUDSTACK_ENDPOINT: apiUrl, CLOUDSTACK_KEY: keys.apiKey, CLOUDSTACK_SECRET: keys.secretKey },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  let queue = Promise.resolve();
  const call = (command: string, params: Params) => {
    const run = queue.then(async () => {
      child.stdin.write(`${JSON.stringify({ command, params })}\n`);
      const next = await lines.next();
      if (next.done) throw new Error(`python3-cs driver exited: ${stderr}`);
      const answer = JSON.parse(next.value) as { ok?: Json; error?: Json | null; status?: number; message?: string };
      if (answer.ok !== undefined) return answer.ok;
      throw new ClientApiError(`${answer.message ?? 'error'}: ${JSON.stringify(answer.error)}`, answer.status ?? 0, answer.error ?? null);
    });
    queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  };
  return {
    name: 'python3-cs',
    sync: (command, params = {}) => call(command, params),
    // fetch_result: the module polls queryAsyncJobResult and returns `jobresult` (raising on a failed job).
    async: (command, params = {}) => call(command, params),
    async close() {
      child.stdin.end();
      await new Promise((resolve) => child.once('close', resolve));
    },
  };
}
