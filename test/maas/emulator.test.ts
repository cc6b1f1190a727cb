import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { MaasApiError, MaasClient, parseMaasApiKey, parseMaasEndpoint } from '../../src/clients/maas/index.ts';
import { Deadline } from '../../src/contract/deadline.ts';
import { startMaasEmulator, type MaasEmulator } from '../../src/emulators/maas/index.ts';

function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Signs a request by hand (RFC 5849), independent of both the emulator and the client under test. */
function oauthHeader(apikey: string, method: 'PLAINTEXT' | 'HMAC-SHA1', httpMethod: string, url: URL, overrides: Record<string, string> = {}): string {
  const [consumerKey, tokenKey, tokenSecret] = apikey.split(':') as [string, string, string];
  const params: Record<string, string> = {
    oauth_consumer_key: consumerKey,
    oauth_token: tokenKey,
    oauth_signature_method: method,
    oauth_timestamp: String(Math.floor(Date.now() / 1000)),
    oauth_nonce: randomBytes(8).toString('hex'),
    oauth_version: '1.0',
  };
  const key = `&${rfc3986(tokenSecret)}`;
  if (method === 'PLAINTEXT') params.oauth_signature = key;
  else {
    const all = [...Object.entries(params), ...url.searchParams.entries()].map(([k, v]) => [rfc3986(k), rfc3986(v)] as const);
    all.sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1));
    const base = `${httpMethod}&${rfc3986(`${url.protocol}//${url.host}${url.pathname}`)}&${rfc3986(all.map(([k, v]) => `${k}=${v}`).join('&'))}`;
    params.oauth_signature = createHmac('sha1', key).update(base).digest('base64');
  }
  Object.assign(params, overrides);
  return `OAuth realm="", ${Object.entries(params).map(([k, v]) => `${k}="${rfc3986(v)}"`).join(', ')}`;
}

async function rawGet(emulator: MaasEmulator, path: string, authorization?: string): Promise<{ status: number; type: string; body: string }> {
  const response = await fetch(`${emulator.endpoint}${path}`, { headers: authorization ? { authorization } : {} });
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
}

function clientFor(emulator: MaasEmulator, apikey = emulator.apikey): MaasClient {
  return new MaasClient({ site: parseMaasEndpoint(emulator.endpoint), apiKey: parseMaasApiKey(apikey), retryPolicy: { attempts: 3, initialDelayMs: 5, maxDelayMs: 20, retryStatuses: [502, 503, 504], retryTransportCodes: ['ECONNREFUSED', 'ECONNRESET'] } });
}

async function control(emulator: MaasEmulator, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${emulator.endpoint}/_emulator/${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return response.json();
}

async function expectMaasError(promise: Promise<unknown>, status: number, detail: string | RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof MaasApiError, String(error));
    assert.equal(error.status, status);
    if (typeof detail === 'string') assert.equal(error.detail, detail);
    else assert.match(error.detail, detail);
    return true;
  });
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i += 1) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('MAAS emulator', () => {
  let emulator: MaasEmulator;
  let client: MaasClient;
  let deadline: Deadline;

  before(async () => {
    emulator = await startMaasEmulator({ port: 0, machines: 4 });
    client = clientFor(emulator);
  });
  after(async () => {
    client.close();
    await emulator.close();
  });
  beforeEach(async () => {
    deadline?.dispose();
    deadline = Deadline.after(20_000);
    await control(emulator, 'POST', 'reset');
    await control(emulator, 'DELETE', 'faults');
    await control(emulator, 'PUT', 'config', { stepMs: 0, powerMs: 0, failDeployments: false, failNextDeployments: 0 });
  });

  it('verifies OAuth PLAINTEXT and HMAC-SHA1 and rejects bad signatures with the MAAS texts', async () => {
    const url = new URL(`${emulator.endpoint}/MAAS/api/2.0/machines/?hostname=able-ant`);
    for (const method of ['PLAINTEXT', 'HMAC-SHA1'] as const) {
      const ok = await rawGet(emulator, url.pathname + url.search, oauthHeader(emulator.apikey, method, 'GET', url));
      assert.equal(ok.status, 200, `${method}: ${ok.body}`);
      assert.equal(JSON.parse(ok.body).length, 1);
    }
    const tampered = await rawGet(emulator, '/MAAS/api/2.0/machines/?hostname=brave-ant', oauthHeader(emulator.apikey, 'HMAC-SHA1', 'GET', url));
    assert.deepEqual([tampered.status, tampered.body], [401, "Authorization Error: 'Invalid signature.'"], 'the signature covers the query');
    assert.match(tampered.type, /^text\/plain/);
    const wrongSecret = await rawGet(emulator, '/MAAS/api/2.0/machines/', oauthHeader(emulator.apikey, 'PLAINTEXT', 'GET', url, { oauth_signature: '&nope' }));
    assert.deepEqual([wrongSecret.status, wrongSecret.body], [401, "Authorization Error: 'Invalid signature.'"]);
    const unknown = await rawGet(emulator, '/MAAS/api/2.0/machines/', oauthHeader('a:b:c', 'PLAINTEXT', 'GET', url));
    assert.deepEqual([unknown.status, unknown.body], [401, 'Authorization Error: Invalid API key.']);
    const missing = await rawGet(emulator, '/MAAS/api/2.0/machines/', 'OAuth oauth_consumer_key="x"');
    assert.equal(missing.status, 400);
    assert.match(missing.body, /^Bad Request: Missing OAuth parameters: oauth_token/);
    const anonymous = await rawGet(emulator, '/MAAS/api/2.0/machines/');
    assert.equal(anonymous.status, 401);
    const version = await rawGet(emulator, '/MAAS/api/2.0/version/');
    assert.equal(version.status, 200, 'version is readable anonymously');
    assert.ok(JSON.parse(version.body).capabilities.includes('authenticate-api'));
  });

  it('answers whoami, list filters and reads with real machine fields', async () => {
    assert.equal((await client.whoami(deadline)).username, 'extorch');
    const all = await client.listMachines({}, deadline);
    assert.equal(all.length, 4);
    const first = all[0]!;
    for (const field of ['system_id', 'hostname', 'fqdn', 'status', 'status_name', 'power_state', 'cpu_count', 'memory', 'architecture', 'boot_interface', 'interface_set', 'owner', 'osystem', 'distro_series', 'pool', 'zone', 'tag_names', 'ip_addresses', 'resource_uri', 'domain', 'storage', 'power_type', 'node_type_name']) {
      assert.ok(field in first, `field ${field}`);
    }
    assert.equal(first.resource_uri, `/MAAS/api/2.0/machines/${first.system_id}/`);
    assert.equal(first.boot_interface?.mac_address, first.interface_set?.[0]?.mac_address);
    assert.deepEqual((await client.listMachines({ hostname: first.hostname }, deadline)).map((m) => m.system_id), [first.system_id]);
    assert.deepEqual((await client.listMachines({ id: [all[1]!.system_id, all[2]!.system_id] }, deadline)).length, 2);
    assert.equal((await client.listMachines({ status: 'ready' }, deadline)).length, 4);
    assert.equal((await client.listMachines({ status: 'deployed' }, deadline)).length, 0);
    await expectMaasError(client.listMachines({ status: 'sleeping' }, deadline), 400, /status: Select a valid choice/);
    assert.equal((await client.readMachine(first.system_id, deadline))?.hostname, first.hostname);
    assert.equal(await client.readMachine('nosuch', deadline), undefined);
    await expectMaasError(client.call('GET', '/machines/nosuch/', {}, deadline), 404, 'No Machine matches the given query.');
    await expectMaasError(client.call('GET', '/machines/', { op: 'frobnicate' }, deadline), 400, 'Unrecognised signature: method=GET op=frobnicate');
    await expectMaasError(client.call('GET', '/nodes-nope/', {}, deadline), 404, /^Unknown API endpoint/);
  });

  it('walks the status machine: Ready → Allocated → Deploying → Deployed → Releasing → Disk erasing → Ready', async () => {
    await control(emulator, 'PUT', 'config', { stepMs: 100 });
    const machine = await client.allocate({ cpu_count: 8, mem: 16000 }, deadline);
    assert.equal(machine.status_name, 'Allocated');
    assert.equal(machine.status, 10);
    assert.equal(machine.owner, 'extorch');
    assert.ok(machine.cpu_count! >= 8);
    const id = machine.system_id;
    const deploying = await client.deploy(id, { distro_series: 'ubuntu/noble' }, deadline);
    assert.deepEqual([deploying.status, deploying.status_name, deploying.power_state], [9, 'Deploying', 'on']);
    await waitFor(async () => (await client.readMachine(id, deadline))?.status_name === 'Deployed', 'Deployed');
    const deployed = (await client.readMachine(id, deadline))!;
    assert.deepEqual([deployed.status, deployed.osystem, deployed.distro_series], [6, 'ubuntu', 'noble']);
    assert.ok((deployed.ip_addresses ?? []).length > 0);
    await expectMaasError(client.deploy(id, {}, deadline), 409, "Can't deploy a machine that is in the 'Deployed' state");
    assert.equal(await client.queryPowerState(id, deadline), 'on');
    await client.powerOff(id, deadline);
    assert.equal(await client.queryPowerState(id, deadline), 'off');
    // Long enough steps that a loaded machine's polling cannot miss the short-lived states.
    await control(emulator, 'PUT', 'config', { stepMs: 1_000 });
    const releasing = await client.release(id, { erase: true }, deadline);
    assert.deepEqual([releasing?.status, releasing?.status_name], [12, 'Releasing']);
    await waitFor(async () => (await client.readMachine(id, deadline))?.status_name === 'Disk erasing', 'Disk erasing');
    await waitFor(async () => (await client.readMachine(id, deadline))?.status_name === 'Ready', 'Ready');
    const ready = (await client.readMachine(id, deadline))!;
    assert.deepEqual([ready.status, ready.owner, ready.osystem, ready.power_state], [4, null, '', 'off']);
    assert.equal((await client.release(id, {}, deadline))?.status_name, 'Ready', 'releasing a Ready machine is a no-op');
    await expectMaasError(client.powerOn(id, deadline), 409, "Can't start node: it hasn't been allocated.");
  });

  it('auto-allocates on deploy, fails deployments on demand and validates deploy parameters', async () => {
    const [target] = await client.listMachines({}, deadline);
    const id = target!.system_id;
    await expectMaasError(client.deploy(id, { distro_series: 'bogus' }, deadline), 400, /^distro_series: 'bogus' is not a valid distro_series\./);
    assert.equal((await client.readMachine(id, deadline))?.status_name, 'Ready', 'a rejected deploy changes nothing');
    await control(emulator, 'PUT', 'config', { failNextDeployments: 1 });
    assert.equal((await client.deploy(id, {}, deadline)).owner, 'extorch');
    await waitFor(async () => (await client.readMachine(id, deadline))?.status_name === 'Failed deployment', 'Failed deployment');
    const failed = (await client.readMachine(id, deadline))!;
    assert.equal(failed.status, 11);
    assert.match(String(failed.status_message), /Installation failed/);
    await expectMaasError(client.powerOff(id, deadline).then(() => client.deploy(id, {}, deadline)), 409, "Can't deploy a machine that is in the 'Failed deployment' state");
    assert.equal((await client.release(id, {}, deadline))?.status_name, 'Releasing');
    await waitFor(async () => (await client.readMachine(id, deadline))?.status_name === 'Ready', 'Ready after release');
    // The next deployment succeeds again: the fault was for one deployment only.
    await client.deploy(id, { distro_series: 'jammy' }, deadline);
    await waitFor(async () => (await client.readMachine(id, deadline))?.status_name === 'Deployed', 'Deployed');
  });

  it('aborts a deployment back to Allocated and refuses to abort a machine at rest', async () => {
    await control(emulator, 'PUT', 'config', { stepMs: 60_000 });
    const machine = await client.allocate({}, deadline);
    await client.deploy(machine.system_id, {}, deadline);
    const aborted = await client.abort(machine.system_id, deadline);
    assert.deepEqual([aborted?.status_name, aborted?.power_state], ['Allocated', 'off']);
    await expectMaasError(client.abort(machine.system_id, deadline), 409, "Node cannot be aborted in its current state ('Allocated').");
  });

  it('allocates with constraints and answers 409 with the constraints when none matches', async () => {
    await control(emulator, 'POST', 'machines', { count: 1, cpuCount: 32, memory: 131072, architecture: 'arm64/generic', tags: ['gpu', 'nvme'], pool: 'gpu-pool', zone: 'rack-2' });
    const gpu = await client.allocate({ tags: ['gpu'], pool: 'gpu-pool', zone: 'rack-2', arch: 'arm64' }, deadline);
    assert.deepEqual([gpu.cpu_count, gpu.architecture, gpu.tag_names], [32, 'arm64/generic', ['gpu', 'nvme']]);
    await expectMaasError(client.allocate({ tags: ['gpu'] }, deadline), 409, `No available machine matches constraints: [('tags', ['gpu'])] (resolved to "tags=gpu")`);
    await expectMaasError(client.allocate({ name: 'nope' }, deadline), 409, `No available machine matches constraints: [('name', ['nope'])] (resolved to "name=nope")`);
    await expectMaasError(client.call('POST', '/machines/', { op: 'allocate', params: { cpu_count: 'many' } }, deadline), 400, /^cpu_count: /);
    for (let i = 0; i < 4; i += 1) await client.allocate({}, deadline);
    await expectMaasError(client.allocate({}, deadline), 409, 'No machine available.');
  });

  it('keeps machines of one user invisible and forbidden to another, and lists allocations per token', async () => {
    const other = (await control(emulator, 'POST', 'users', { username: 'tenant-b' })) as { apikey: string };
    const otherClient = clientFor(emulator, other.apikey);
    try {
      const mine = await client.allocate({}, deadline);
      assert.equal((await otherClient.whoami(deadline)).username, 'tenant-b');
      const seen = await otherClient.listMachines({}, deadline);
      assert.ok(!seen.some((m) => m.system_id === mine.system_id), 'invisible in the list');
      await expectMaasError(otherClient.call('GET', `/machines/${mine.system_id}/`, {}, deadline), 403, 'Forbidden');
      await expectMaasError(otherClient.release(mine.system_id, {}, deadline), 403, 'Forbidden');
      await expectMaasError(otherClient.allocate({ system_id: mine.system_id }, deadline), 409, /No available machine matches constraints/);
      const theirs = await otherClient.allocate({}, deadline);
      assert.deepEqual((await client.listAllocated(deadline)).map((m) => m.system_id), [mine.system_id]);
      assert.deepEqual((await otherClient.listAllocated(deadline)).map((m) => m.system_id), [theirs.system_id]);
      // A second key of the same user sees the user's machines but lists only its own allocations.
      const second = (await control(emulator, 'POST', 'users/extorch/keys')) as { apikey: string };
      const secondClient = clientFor(emulator, second.apikey);
      assert.equal((await secondClient.readMachine(mine.system_id, deadline))?.owner, 'extorch');
      assert.deepEqual(await secondClient.listAllocated(deadline), []);
      secondClient.close();
    } finally {
      otherClient.close();
    }
  });

  it('renames machines with PUT and rejects invalid or duplicate hostnames', async () => {
    const [a, b] = await client.listMachines({}, deadline);
    await client.allocate({ system_id: a!.system_id }, deadline);
    assert.equal((await client.updateMachine(a!.system_id, { hostname: 'web01' }, deadline)).hostname, 'web01');
    assert.equal((await client.readMachine(a!.system_id, deadline))?.fqdn, 'web01.maas');
    await expectMaasError(client.updateMachine(a!.system_id, { hostname: 'bad_name!' }, deadline), 400, /^hostname: /);
    await client.allocate({ system_id: b!.system_id }, deadline);
    await expectMaasError(client.updateMachine(b!.system_id, { hostname: 'web01' }, deadline), 400, /already exists/);
  });

  it('injects faults with plain-text errors; the client retries idempotent calls only', async () => {
    await control(emulator, 'POST', 'faults', { method: 'GET', path: '^/MAAS/api/2\\.0/machines/$', status: 503, message: 'Service Unavailable: region restarting', times: 2 });
    await control(emulator, 'DELETE', 'requests');
    assert.equal((await client.listMachines({}, deadline)).length, 4, 'GET retried through two 503s');
    await control(emulator, 'POST', 'faults', { method: 'POST', path: '^/MAAS/api/2\\.0/machines/$', status: 503, message: 'Service Unavailable: region restarting', times: 1 });
    await expectMaasError(client.allocate({}, deadline), 503, 'Service Unavailable: region restarting');
    const counts = (await control(emulator, 'GET', 'requests')) as { byRoute: Record<string, number> };
    assert.equal(counts.byRoute['GET machines/'], 1, 'faulted requests never reach the API');
    assert.equal(counts.byRoute['POST machines/?op=allocate'], undefined);
  });

  it('gives every call a timeout from the deadline', async () => {
    await control(emulator, 'POST', 'faults', { path: '/machines/', latencyMs: 2_000, times: 1 });
    const short = Deadline.after(300);
    const started = Date.now();
    await assert.rejects(client.listMachines({}, short), /Timed out/);
    assert.ok(Date.now() - started < 1_500);
    short.dispose();
  });

  it('saves its state on close and restores it at start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'maas-state-'));
    const stateFile = join(dir, 'state.json');
    try {
      const first = await startMaasEmulator({ port: 0, machines: 2, stateFile });
      const firstClient = clientFor(first);
      const allocated = await firstClient.allocate({}, deadline);
      firstClient.close();
      await first.close();
      const second = await startMaasEmulator({ port: 0, machines: 2, stateFile });
      const secondClient = clientFor(second);
      assert.equal(second.apikey, first.apikey, 'the API key survives a restart');
      assert.equal((await secondClient.readMachine(allocated.system_id, deadline))?.status_name, 'Allocated');
      secondClient.close();
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
