// The API protocol over real HTTP with a handful of test commands (no domain, no mocked HTTP layer).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { protocolCommands } from '../../src/api/commands/protocol.ts';
import { invalidParameter } from '../../src/api/errors.ts';
import { createApiHttpServer, type ApiHttpServer } from '../../src/api/http-server.ts';
import { createMemoryJobs } from '../../src/api/jobs.ts';
import { createLogger } from '../../src/api/logger.ts';
import {
  booleanParam,
  integerParam,
  listParam,
  mapParam,
  objectListParam,
  stringParam,
} from '../../src/api/params.ts';
import type { ApiAuthenticator, ApiPrincipal } from '../../src/api/principal.ts';
import { ADMIN_ONLY, ALL_ROLES, CommandRegistry, defineCommand, pageOf } from '../../src/api/registry.ts';
import { fields } from '../../src/api/response-fields.ts';
import { createMetrics } from '../../src/metrics/registry.ts';
import { callSigned, expiresIn, send, signParams } from '../helpers/cloudstack-signing.ts';

const admin: ApiPrincipal = { userId: 'u-admin', username: 'admin', accountId: 'a-admin', accountName: 'admin', domainId: 'd-root', roleType: 'Admin', caller: 'admin' };
const user: ApiPrincipal = { userId: 'u-user', username: 'alice', accountId: 'a-alice', accountName: 'alice', domainId: 'd-root', roleType: 'User', caller: 'alice' };
const ADMIN_KEYS = { apiKey: 'admin-key', secretKey: 'admin-secret/+=' };
const USER_KEYS = { apiKey: 'user-key', secretKey: 'user-secret' };

const authenticator: ApiAuthenticator = {
  async byApiKey(apiKey) {
    if (apiKey === ADMIN_KEYS.apiKey) return { principal: admin, secretKey: ADMIN_KEYS.secretKey };
    if (apiKey === USER_KEYS.apiKey) return { principal: user, secretKey: USER_KEYS.secretKey };
    return undefined;
  },
  async byPassword(username, password) {
    return username === 'alice' && password === 'wonderland' ? user : undefined;
  },
};

const widgets = Array.from({ length: 7 }, (_, index) => ({ id: `w-${index + 1}`, name: `widget ${index + 1}`, note: index % 2 ? null : 'even' }));
let slowRelease: (() => void) | undefined;

const testCommands = [
  defineCommand({
    name: 'echoParams',
    description: 'Echoes its converted parameters',
    roles: ALL_ROLES,
    params: {
      name: stringParam({ description: 'a name', required: true, length: 10 }),
      count: integerParam({ description: 'a number' }),
      flag: booleanParam({ description: 'a flag' }),
      tags: listParam({ description: 'a list' }),
      details: mapParam({ description: 'a flattened map' }),
      parameters: objectListParam({ description: 'one object per index' }),
    },
    response: fields({ name: 'the name', count: ['integer', 'the number'] }),
    async handler(params, { principal }) {
      return { type: 'object', name: 'echo', value: { ...params, caller: principal.username } };
    },
  }),
  defineCommand({
    name: 'listWidgets',
    description: 'Lists widgets',
    roles: ALL_ROLES,
    list: true,
    params: { name: stringParam({ description: 'filter by name' }) },
    response: fields({ id: 'the id', name: 'the name', note: 'optional note' }),
    async handler({ name }, { paging }) {
      return { type: 'list', name: 'widget', ...pageOf(widgets.filter((w) => name === undefined || w.name === name), paging) };
    },
  }),
  defineCommand({
    name: 'buildWidget',
    description: 'Builds a widget asynchronously',
    roles: ALL_ROLES,
    isAsync: true,
    params: { name: stringParam({ description: 'widget name', required: true }), fail: booleanParam({ description: 'fail the job' }) },
    response: fields({ id: 'the id', name: 'the name' }),
    async handler({ name, fail }, { jobs, principal, command }) {
      const jobid = await jobs.submit({
        command,
        principal,
        instanceType: 'Widget',
        instanceId: 'w-new',
        run: async () => {
          if (name === 'slow') await new Promise<void>((resolve) => (slowRelease = resolve));
          if (fail) throw invalidParameter(`Widget ${name} cannot be built`);
          return { widget: { id: 'w-new', name } };
        },
      });
      return { type: 'job', jobid, id: 'w-new' };
    },
  }),
  defineCommand({
    name: 'adminOnly',
    description: 'Only admins may call this',
    roles: ADMIN_ONLY,
    params: {},
    response: fields({ success: ['boolean', 'ok'] }),
    async handler() {
      return { type: 'fields', value: { success: true } };
    },
  }),
  defineCommand({
    name: 'crash',
    description: 'Throws an unexpected error',
    roles: ADMIN_ONLY,
    params: {},
    response: [],
    async handler() {
      throw new Error('database password=hunter2 leaked');
    },
  }),
];

describe('CloudStack API protocol over HTTP', () => {
  let server: ApiHttpServer;
  let url: string;
  const logLines: string[] = [];
  const metrics = createMetrics({ defaultMetrics: false });

  before(async () => {
    const destination = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    server = createApiHttpServer({
      registry: new CommandRegistry([...protocolCommands(authenticator), ...testCommands]),
      authenticator,
      jobs: createMemoryJobs({ observe: (command, outcome) => metrics.jobOutcomes.inc({ command, outcome }) }),
      logger: createLogger({ destination }),
      metrics,
    });
    url = await server.listen(0, '127.0.0.1');
  });
  after(() => server.close());

  const admins = (params: Record<string, string>, options?: Parameters<typeof callSigned>[3]) => callSigned(url, ADMIN_KEYS, params, options);

  it('answers a signed GET with the CloudStack JSON envelope', async () => {
    const call = await admins({ command: 'echoParams', name: 'hello', count: '42', flag: 'TRUE', tags: 'a, b,,c' });
    assert.equal(call.status, 200, call.text);
    assert.equal(call.headers.get('content-type'), 'application/json; charset=UTF-8');
    assert.deepEqual(call.json, { echoparamsresponse: { echo: { name: 'hello', count: 42, flag: true, tags: ['a', 'b', 'c'], caller: 'admin' } } });
  });

  it('accepts POST form bodies, merged with the query string for signing', async () => {
    const call = await admins({ command: 'echoParams', name: 'posted', 'details[0].vm_name': 'web 01' }, { method: 'POST' });
    assert.equal(call.status, 200, call.text);
    assert.deepEqual(call.json.echoparamsresponse!.echo, { name: 'posted', details: { vm_name: 'web 01' }, caller: 'admin' });
  });

  it('verifies signatures over awkward values (space, +, *, brackets, UTF-8, quotes)', async () => {
    for (const name of ['a b', 'x+y/z=', '*', '[0]', 'é✓', "it's(1)!"]) {
      const call = await admins({ command: 'echoParams', name });
      assert.equal(call.status, 200, `${name}: ${call.text}`);
      assert.equal((call.json.echoparamsresponse!.echo as { name: string }).name, name);
    }
  });

  it('accepts signatures without version 3 (no replay protection, as CloudStack)', async () => {
    const call = await admins({ command: 'echoParams', name: 'v2' }, { version3: false });
    assert.equal(call.status, 200, call.text);
  });

  it('refuses expired, wrongly keyed, unknown-key and tampered requests with 401', async () => {
    const cases = [
      await admins({ command: 'echoParams', name: 'late' }, { expires: expiresIn(-5) }),
      await admins({ command: 'echoParams', name: 'bad' }, { expires: 'not-a-date' }),
      await callSigned(url, { apiKey: ADMIN_KEYS.apiKey, secretKey: 'wrong' }, { command: 'echoParams', name: 'x' }),
      await callSigned(url, { apiKey: 'nobody', secretKey: 'x' }, { command: 'echoParams', name: 'x' }),
      await admins({ command: 'echoParams', name: 'x' }, { signatureOverride: signParams(ADMIN_KEYS.secretKey, { command: 'echoParams', name: 'y' }) }),
      await send(url, { command: 'echoParams', name: 'x', response: 'json' }, 'GET'),
    ];
    for (const call of cases) {
      assert.equal(call.status, 401, call.text);
      assert.deepEqual(Object.keys(call.json), ['echoparamsresponse']);
      assert.deepEqual(call.json.echoparamsresponse, {
        uuidList: [],
        errorcode: 401,
        cserrorcode: 9999,
        errortext: 'unable to verify user credentials and/or request signature',
      });
      assert.equal(call.headers.get('x-description'), 'unable to verify user credentials and/or request signature');
    }
  });

  it('rejects version 3 without expires', async () => {
    const params: Record<string, string> = { command: 'echoParams', name: 'x', response: 'json', apiKey: ADMIN_KEYS.apiKey, signatureVersion: '3' };
    params.signature = signParams(ADMIN_KEYS.secretKey, params);
    assert.equal((await send(url, params, 'GET')).status, 401);
  });

  it('answers 401 on the signed path for unknown and forbidden commands', async () => {
    assert.equal((await admins({ command: 'noSuchCommand' })).status, 401);
    const forbidden = await callSigned(url, USER_KEYS, { command: 'adminOnly' });
    assert.equal(forbidden.status, 401);
    assert.equal((await admins({ command: 'adminOnly' })).status, 200);
  });

  it('names the parameter for missing, invalid, too long and malformed input (431/430)', async () => {
    const missing = await admins({ command: 'echoParams' });
    assert.equal(missing.status, 431);
    assert.equal(missing.json.echoparamsresponse!.errortext, 'Unable to execute API command echoparams due to missing parameter name');
    const invalid = await admins({ command: 'echoParams', name: 'n', count: 'ten' });
    assert.equal(invalid.status, 431);
    assert.equal(invalid.json.echoparamsresponse!.errortext, 'Unable to execute API command echoparams due to invalid value ten for parameter count');
    const flag = await admins({ command: 'echoParams', name: 'n', flag: 'yes' });
    assert.match(String(flag.json.echoparamsresponse!.errortext), /invalid value yes for parameter flag/);
    const long = await admins({ command: 'echoParams', name: 'x'.repeat(11) });
    assert.equal(long.status, 431);
    assert.equal(long.json.echoparamsresponse!.errortext, 'Value greater than max allowed length 10 for param: name');
    const malformed = await admins({ command: 'echoParams', name: 'n', 'details[x].a': 'b' });
    assert.equal(malformed.status, 430);
    const control = await admins({ command: 'echoParams', name: 'a\u0001b' });
    assert.equal(control.status, 431);
    assert.match(String(control.json.echoparamsresponse!.errortext), /parameter name/);
  });

  it('binds parameter names case-insensitively and ignores undeclared ones (cmk sends filter=)', async () => {
    const call = await admins({ command: 'echoParams', NAME: 'upper', filter: 'name', listall: 'true' });
    assert.equal(call.status, 200, call.text);
    assert.equal((call.json.echoparamsresponse!.echo as { name: string }).name, 'upper');
  });

  it('flattens map parameters and keeps object lists per index', async () => {
    const call = await admins({
      command: 'echoParams',
      name: 'maps',
      'details[0].key': 'k',
      'details[0].value': 'v',
      'details[1].endpoint.url': 'https://x',
      'parameters[1].name': 'second',
      'parameters[0].name': 'first',
      'parameters[0].type': 'STRING',
    });
    const echo = call.json.echoparamsresponse!.echo as Record<string, unknown>;
    assert.deepEqual(echo.details, { key: 'k', value: 'v', 'endpoint.url': 'https://x' });
    assert.deepEqual(echo.parameters, [{ name: 'first', type: 'STRING' }, { name: 'second' }]);
  });

  it('pages lists with a total count, omits null fields and answers {} for empty lists', async () => {
    const all = await admins({ command: 'listWidgets' });
    assert.equal(all.json.listwidgetsresponse!.count, 7);
    assert.deepEqual((all.json.listwidgetsresponse!.widget as unknown[])[1], { id: 'w-2', name: 'widget 2' });
    const page2 = await admins({ command: 'listWidgets', page: '2', pagesize: '3' });
    assert.equal(page2.json.listwidgetsresponse!.count, 7);
    assert.deepEqual((page2.json.listwidgetsresponse!.widget as Array<{ id: string }>).map((w) => w.id), ['w-4', 'w-5', 'w-6']);
    const unlimited = await admins({ command: 'listWidgets', page: '1', pagesize: '-1' });
    assert.equal((unlimited.json.listwidgetsresponse!.widget as unknown[]).length, 7);
    const empty = await admins({ command: 'listWidgets', name: 'nothing' });
    assert.deepEqual(empty.json, { listwidgetsresponse: {} });
    const noPage = await admins({ command: 'listWidgets', pagesize: '3' });
    assert.equal(noPage.status, 431);
    assert.match(String(noPage.json.listwidgetsresponse!.errortext), /"page" parameter is required/);
    const tooBig = await admins({ command: 'listWidgets', page: '1', pagesize: '501' });
    assert.equal(tooBig.status, 431);
  });

  it('answers XML when response is absent', async () => {
    const call = await callSigned(url, ADMIN_KEYS, { command: 'listWidgets', response: 'xml', page: '1', pagesize: '1' });
    assert.equal(call.status, 200);
    assert.match(call.headers.get('content-type') ?? '', /text\/xml/);
    assert.match(call.text, /^<\?xml version="1.0" encoding="UTF-8"\?><listwidgetsresponse cloud-stack-version="[\d.]+"><count>7<\/count><widget><id>w-1<\/id><name>widget 1<\/name><note>even<\/note><\/widget><\/listwidgetsresponse>$/);
    const params: Record<string, string> = { command: 'echoParams', name: '<&>', apiKey: ADMIN_KEYS.apiKey };
    params.signature = signParams(ADMIN_KEYS.secretKey, params);
    const xml = await send(url, params, 'GET');
    assert.match(xml.text, /<name>&#60;&#38;&#62;<\/name>/);
  });

  it('runs async jobs: jobid (+id) now, queryAsyncJobResult until done, listAsyncJobs', async () => {
    const accepted = await admins({ command: 'buildWidget', name: 'slow' });
    assert.equal(accepted.status, 200, accepted.text);
    const { jobid, id } = accepted.json.buildwidgetresponse as { jobid: string; id: string };
    assert.equal(id, 'w-new');
    const pending = await admins({ command: 'queryAsyncJobResult', jobid });
    const pendingBody = pending.json.queryasyncjobresultresponse!;
    assert.equal(pendingBody.jobstatus, 0);
    assert.equal(pendingBody.jobresultcode, 0);
    assert.equal(pendingBody.jobprocstatus, 0);
    assert.equal(pendingBody.jobinstancetype, 'Widget');
    assert.equal(pendingBody.cmd, 'buildWidget');
    assert.equal(pendingBody.jobresult, undefined);
    const listed = await admins({ command: 'listAsyncJobs' });
    assert.ok((listed.json.listasyncjobsresponse!.asyncjobs as Array<{ jobid: string }>).some((job) => job.jobid === jobid));
    // Another account cannot see the job.
    const foreign = await callSigned(url, USER_KEYS, { command: 'queryAsyncJobResult', jobid });
    assert.equal(foreign.status, 431);
    slowRelease!();
    let done = pendingBody;
    for (let attempt = 0; attempt < 50 && done.jobstatus === 0; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      done = (await admins({ command: 'queryAsyncJobResult', jobid })).json.queryasyncjobresultresponse!;
    }
    assert.equal(done.jobstatus, 1);
    assert.equal(done.jobresulttype, 'object');
    assert.deepEqual(done.jobresult, { widget: { id: 'w-new', name: 'slow' } });
    assert.match(String(done.completed), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0000$/);
  });

  it('reports a failed job with jobresultcode and errortext', async () => {
    const accepted = await callSigned(url, USER_KEYS, { command: 'buildWidget', name: 'bad', fail: 'true' });
    const { jobid } = accepted.json.buildwidgetresponse as { jobid: string };
    let job: Record<string, unknown> = { jobstatus: 0 };
    for (let attempt = 0; attempt < 50 && job.jobstatus === 0; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      job = (await callSigned(url, USER_KEYS, { command: 'queryAsyncJobResult', jobid })).json.queryasyncjobresultresponse!;
    }
    assert.equal(job.jobstatus, 2);
    assert.equal(job.jobresultcode, 431);
    assert.deepEqual(job.jobresult, { errorcode: 431, errortext: 'Widget bad cannot be built' });
  });

  it('maps unexpected errors to 530 without leaking their text', async () => {
    const call = await admins({ command: 'crash' });
    assert.equal(call.status, 530);
    assert.equal(call.json.crashresponse!.cserrorcode, 4250);
    assert.doesNotMatch(call.text, /hunter2/);
  });

  it('logs in with a session: JSESSIONID + sessionkey cookies, sessionkey parameter, logout', async () => {
    const login = await send(url, { command: 'login', username: 'alice', password: 'wonderland', domain: '/', response: 'json' }, 'POST');
    assert.equal(login.status, 200, login.text);
    const body = login.json.loginresponse!;
    assert.equal(body.username, 'alice');
    assert.equal(body.type, '0');
    assert.equal(typeof body.timeout, 'number');
    const cookies = login.headers.getSetCookie();
    const jsession = cookies.find((c) => c.startsWith('JSESSIONID='))!.split(';')[0]!;
    const keyCookie = cookies.find((c) => c.startsWith('sessionkey='))!.split(';')[0]!;
    assert.equal(keyCookie, `sessionkey=${body.sessionkey}`);
    const withParam = await send(url, { command: 'echoParams', name: 'sess', sessionkey: String(body.sessionkey), response: 'json' }, 'GET', { cookie: jsession });
    assert.equal(withParam.status, 200, withParam.text);
    assert.equal((withParam.json.echoparamsresponse!.echo as { caller: string }).caller, 'alice');
    const withCookies = await send(url, { command: 'listWidgets', response: 'json' }, 'GET', { cookie: `${jsession}; ${keyCookie}` });
    assert.equal(withCookies.status, 200);
    const wrongKey = await send(url, { command: 'listWidgets', sessionkey: 'forged', response: 'json' }, 'GET', { cookie: jsession });
    assert.equal(wrongKey.status, 401);
    const noCookie = await send(url, { command: 'listWidgets', sessionkey: String(body.sessionkey), response: 'json' }, 'GET');
    assert.equal(noCookie.status, 401);
    const unknown = await send(url, { command: 'nope', sessionkey: String(body.sessionkey), response: 'json' }, 'GET', { cookie: jsession });
    assert.equal(unknown.status, 432);
    assert.ok(unknown.json.errorresponse);
    const logout = await send(url, { command: 'logout', sessionkey: String(body.sessionkey), response: 'json' }, 'GET', { cookie: jsession });
    assert.equal(logout.status, 200);
    const after = await send(url, { command: 'listWidgets', sessionkey: String(body.sessionkey), response: 'json' }, 'GET', { cookie: jsession });
    assert.equal(after.status, 401);
    const badLogin = await send(url, { command: 'login', username: 'alice', password: 'nope', response: 'json' }, 'POST');
    assert.equal(badLogin.status, 531);
    assert.ok(!logLines.join('').includes('wonderland'), 'password must not be logged');
  });

  it('answers 405 for methods other than GET and POST', async () => {
    const call = await send(url, { command: 'listWidgets', response: 'json' }, 'PUT');
    assert.equal(call.status, 405);
    assert.equal(call.json.listwidgetsresponse!.errorcode, 405);
  });

  it('generates listApis from the registry, filtered by role', async () => {
    const all = await admins({ command: 'listApis' });
    const apis = all.json.listapisresponse!.api as Array<Record<string, unknown>>;
    assert.equal(all.json.listapisresponse!.count, apis.length);
    const echo = apis.find((api) => api.name === 'echoParams')!;
    assert.equal(echo.isasync, false);
    assert.equal(echo.description, 'Echoes its converted parameters');
    const nameParam = (echo.params as Array<Record<string, unknown>>).find((p) => p.name === 'name');
    assert.deepEqual(nameParam, { name: 'name', description: 'a name', type: 'string', length: 10, required: true });
    assert.equal((echo.params as Array<Record<string, unknown>>).find((p) => p.name === 'details')!.type, 'map');
    assert.deepEqual((echo.response as unknown[])[1], { name: 'count', description: 'the number', type: 'integer' });
    const widgetsApi = apis.find((api) => api.name === 'listWidgets')!;
    assert.ok((widgetsApi.params as Array<{ name: string }>).some((p) => p.name === 'pagesize'));
    assert.equal(apis.find((api) => api.name === 'buildWidget')!.isasync, true);
    for (const api of apis) {
      assert.equal(typeof api.description, 'string');
      assert.ok(Array.isArray(api.params) && Array.isArray(api.response), String(api.name));
    }
    const asUser = await callSigned(url, USER_KEYS, { command: 'listApis' });
    const userApis = (asUser.json.listapisresponse!.api as Array<{ name: string }>).map((api) => api.name);
    assert.ok(!userApis.includes('adminOnly'));
    assert.ok(userApis.includes('echoParams'));
    const one = await admins({ command: 'listApis', name: 'listWidgets' });
    assert.equal(one.json.listapisresponse!.count, 1);
  });

  it('exposes Prometheus metrics with API latency by command and job outcomes', async () => {
    const response = await fetch(url.replace('/client/api', '/metrics'));
    const text = await response.text();
    assert.match(text, /extorch_api_request_duration_seconds_count\{command="echoParams",errorcode="0"\} \d+/);
    assert.match(text, /extorch_api_request_duration_seconds_count\{command="echoParams",errorcode="431"\} \d+/);
    assert.match(text, /extorch_async_jobs_total\{command="buildWidget",outcome="failed"\} 1/);
  });
});
