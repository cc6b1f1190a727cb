// The protocol layer alone, driven by the two real clients (csclient from npm, python3-cs from Debian):
// their signing (v3), envelopes, errors and async polling must agree with ours.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { protocolCommands } from '../../src/api/commands/protocol.ts';
import { invalidParameter } from '../../src/api/errors.ts';
import { createApiHttpServer, type ApiHttpServer } from '../../src/api/http-server.ts';
import { createMemoryJobs } from '../../src/api/jobs.ts';
import { createLogger } from '../../src/api/logger.ts';
import { mapParam, stringParam } from '../../src/api/params.ts';
import type { ApiAuthenticator, ApiPrincipal } from '../../src/api/principal.ts';
import { ALL_ROLES, CommandRegistry, defineCommand } from '../../src/api/registry.ts';
import { fields } from '../../src/api/response-fields.ts';
import { createMetrics } from '../../src/metrics/registry.ts';

type Json = Record<string, unknown>;
const execFileAsync = promisify(execFile);
const require = createRequire(import.meta.url);
const CloudStackClient = require('csclient') as new (options: Json) => {
  executeSync(command: string, params: Json, callback: (error: (Error & { code?: number }) | null, result: Json) => void): void;
  executeAsync(command: string, params: Json, callback: (error: (Error & { code?: number }) | null, result: Json) => void): void;
};

const KEYS = { apiKey: 'interop-key', secretKey: 'interop/secret+=' };
const admin: ApiPrincipal = { userId: 'u', username: 'admin', accountId: 'a', accountName: 'admin', domainId: 'd', roleType: 'Admin', caller: null };
const authenticator: ApiAuthenticator = {
  async byApiKey(apiKey) {
    return apiKey === KEYS.apiKey ? { principal: admin, secretKey: KEYS.secretKey } : undefined;
  },
  async byPassword() {
    return undefined;
  },
};

const commands = [
  defineCommand({
    name: 'echoThing',
    description: 'Echoes a name and details',
    roles: ALL_ROLES,
    params: { name: stringParam({ description: 'a name', required: true }), details: mapParam({ description: 'details' }) },
    response: fields({ name: 'the name', details: ['map', 'the details'] }),
    async handler({ name, details }) {
      return { type: 'object', name: 'thing', value: { name, details } };
    },
  }),
  defineCommand({
    name: 'makeThing',
    description: 'Makes a thing asynchronously',
    roles: ALL_ROLES,
    isAsync: true,
    params: { name: stringParam({ description: 'a name', required: true }) },
    response: fields({ name: 'the name' }),
    async handler({ name }, { jobs, principal, command }) {
      const jobid = await jobs.submit({
        command,
        principal,
        run: async () => {
          if (name === 'bad') throw invalidParameter('bad things cannot be made');
          return { thing: { name } };
        },
      });
      return { type: 'job', jobid };
    },
  }),
];

describe('real clients against the protocol layer', () => {
  let server: ApiHttpServer;
  let url: string;
  before(async () => {
    server = createApiHttpServer({
      registry: new CommandRegistry([...protocolCommands(authenticator), ...commands]),
      authenticator,
      jobs: createMemoryJobs(),
      logger: createLogger({ level: 'silent' }),
      metrics: createMetrics({ defaultMetrics: false }),
    });
    url = await server.listen(0, '127.0.0.1');
  });
  after(() => server.close());

  it('csclient signs v3 requests we verify, including map parameters, and polls jobs', async () => {
    const client = new CloudStackClient({ baseUrl: `${url}?`, apiKey: KEYS.apiKey, secretKey: KEYS.secretKey, pollingTime: 10 });
    const sync = (command: string, params: Json) =>
      new Promise<Json>((resolve, reject) => client.executeSync(command, params, (error, result) => (error ? reject(error) : resolve(result))));
    const async = (command: string, params: Json) =>
      new Promise<Json>((resolve, reject) => client.executeAsync(command, params, (error, result) => (error ? reject(error) : resolve(result))));
    const echoed = await sync('echoThing', { name: "hello world +/=!'()é", 'details[0].vm_name': 'web 01' });
    assert.deepEqual(echoed, { echothingresponse: { thing: { name: "hello world +/=!'()é", details: { vm_name: 'web 01' } } } });
    const done = await async('makeThing', { name: 'widget' });
    assert.deepEqual(done.jobresult, { thing: { name: 'widget' } });
    await assert.rejects(async('makeThing', { name: 'bad' }), (error: Error & { code?: number }) => error.code === 431 && /bad things/.test(error.message));
    await assert.rejects(sync('echoThing', {}), (error: Error & { code?: number }) => error.code === 431 && /missing parameter name/.test(error.message));
  });

  it('python3-cs signs requests we verify (GET and POST) and polls jobs', async () => {
    const cs = async (args: string[]) => {
      const { stdout, stderr } = await execFileAsync('/usr/bin/python3', ['-m', 'cs', ...args], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, CLOUDSTACK_ENDPOINT: url, CLOUDSTACK_KEY: KEYS.apiKey, CLOUDSTACK_SECRET: KEYS.secretKey, CLOUDSTACK_METHOD: 'get', CLOUDSTACK_TIMEOUT: '10', CLOUDSTACK_POLL_INTERVAL: '0.05' },
      });
      return { body: stdout.trim() ? (JSON.parse(stdout) as Json) : {}, stderr };
    };
    const get = await cs(['echoThing', "name=a b*c+d/=!'()é", 'details[0].k=v w']);
    assert.equal(get.stderr, '');
    assert.deepEqual(get.body, { thing: { name: "a b*c+d/=!'()é", details: { k: 'v w' } } });
    const post = await cs(['--post', 'echoThing', 'name=posted']);
    assert.deepEqual(post.body, { thing: { name: 'posted' } });
    const job = await cs(['makeThing', 'name=widget']);
    assert.deepEqual(job.body, { thing: { name: 'widget' } });
    const failed = await cs(['makeThing', 'name=bad']);
    assert.match(failed.stderr, /Job failure/);
    const apis = await cs(['listApis']);
    assert.ok((apis.body.api as Json[]).some((api) => api.name === 'makeThing' && api.isasync === true));
  });
});
