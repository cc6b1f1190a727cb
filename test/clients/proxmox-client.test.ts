import assert from 'node:assert/strict';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { HttpClient } from '../../src/clients/http/client.ts';
import { apiTokenHeader, parseEnvelope, ProxmoxClient } from '../../src/clients/proxmox/client.ts';
import { ProxmoxApiError, ProxmoxProtocolError, ProxmoxTaskError, ProxmoxTaskTimeoutError } from '../../src/clients/proxmox/errors.ts';
import { apiPath, encodeForm, encodeQuery } from '../../src/clients/proxmox/form.ts';
import { DEFAULT_PROXMOX_POLICY, pollingDelays } from '../../src/clients/proxmox/policy.ts';
import { describeTask, parseUpid } from '../../src/clients/proxmox/upid.ts';
import { Deadline } from '../../src/contract/deadline.ts';

const UPID = 'UPID:pve2:000934AF:0D015579:68BF3A41:qmclone:9000:root@pam!extorch:';
const TOKEN = { user: 'root@pam', tokenId: 'extorch', secret: 'c0ffee00-1111-4222-8333-444455556666' };

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  contentType?: string;
  body: string;
}

type Route = (req: IncomingMessage, res: ServerResponse, body: string) => void;

describe('Proxmox client', () => {
  let server: http.Server;
  let base: URL;
  let route: Route;
  let seen: Seen[];
  const clients: HttpClient[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, contentType: req.headers['content-type'], body });
        route(req, res, body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api2/json`);
  });
  after(async () => {
    for (const client of clients) client.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    seen = [];
  });

  function client(deadlineMs = 10_000): ProxmoxClient {
    const connection = new HttpClient({ baseUrl: base, verifyTls: true });
    clients.push(connection);
    return new ProxmoxClient({ http: connection, token: TOKEN, deadline: Deadline.after(deadlineMs) });
  }

  function json(res: ServerResponse, status: number, body: unknown, reason?: string): void {
    res.writeHead(status, reason ?? http.STATUS_CODES[status], { 'content-type': 'application/json;charset=UTF-8' });
    res.end(JSON.stringify(body));
  }

  it('authenticates with the API token header and sends form bodies with 0/1 booleans', async () => {
    route = (_req, res) => json(res, 200, { data: UPID });
    const upid = await client().cloneVm('pve1', 9000, { newid: 105, name: 'web 01&x', full: false, storage: undefined, description: 'a=b\nc' });
    assert.equal(upid, UPID);
    const [request] = seen;
    assert.equal(request?.method, 'POST');
    assert.equal(request?.url, '/api2/json/nodes/pve1/qemu/9000/clone');
    assert.equal(request?.authorization, `PVEAPIToken=root@pam!extorch=${TOKEN.secret}`);
    assert.equal(request?.contentType, 'application/x-www-form-urlencoded');
    assert.deepEqual(Object.fromEntries(new URLSearchParams(request?.body)), { newid: '105', name: 'web 01&x', full: '0', description: 'a=b\nc' });
  });

  it('encodes every path segment, so a UPID stays one segment and the secret never enters the URL', async () => {
    route = (_req, res) => json(res, 200, { data: { status: 'stopped', exitstatus: 'OK' } });
    await client().taskStatus('pve2', UPID);
    assert.equal(seen[0]?.url, `/api2/json/nodes/pve2/tasks/${encodeURIComponent(UPID)}/status`);
    assert.ok(!seen[0]?.url.includes(TOKEN.secret));
    assert.equal(apiPath`/nodes/${'a/b'}/qemu/${100}`, '/nodes/a%2Fb/qemu/100');
  });

  it('sends DELETE parameters in the query, never in a body', async () => {
    route = (_req, res) => json(res, 200, { data: UPID.replace('qmclone', 'qmdestroy') });
    await client().deleteVm('pve1', 105, { purge: true, 'destroy-unreferenced-disks': true });
    assert.equal(seen[0]?.url, '/api2/json/nodes/pve1/qemu/105?purge=1&destroy-unreferenced-disks=1');
    assert.equal(seen[0]?.body, '');
  });

  it('builds errors from the reason phrase first, keeping the HTTP status', async () => {
    route = (_req, res) => json(res, 500, { data: null, message: 'other text\n' }, "Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist");
    const error = await client().vmConfig('pve1', 999).catch((e: unknown) => e);
    assert.ok(error instanceof ProxmoxApiError);
    assert.equal(error.status, 500);
    assert.equal(error.message, "GET /nodes/pve1/qemu/999/config: 500 Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist");
  });

  it('falls back to message, then to errors{param: text}, never to a bare "Unknown error"', () => {
    const response = (status: number, statusText: string, body: string) => ({ status, statusText, headers: {}, body: Buffer.from(body) });
    const failure = (status: number, statusText: string, body: string) => {
      try {
        parseEnvelope(response(status, statusText, body), 'GET /x');
      } catch (error) {
        return error as ProxmoxApiError;
      }
      assert.fail('expected an error');
    };
    assert.equal(failure(500, 'Internal Server Error', '{"data":null,"message":"VM 100 not running\\n"}').reason, 'VM 100 not running');
    const params = failure(400, 'Parameter verification failed.', '{"data":null,"errors":{"vmid":"VM 200 already exists"}}');
    assert.equal(params.message, 'GET /x: 400 Parameter verification failed: vmid: VM 200 already exists');
    assert.ok(params.rejectsParameter('vmid'));
    assert.ok(!params.rejectsParameter('name'));
    assert.equal(failure(502, '', '<html>').message, 'GET /x: 502 HTTP 502');
    assert.throws(() => parseEnvelope(response(200, 'OK', 'not json'), 'GET /x'), ProxmoxProtocolError);
    assert.throws(() => parseEnvelope(response(200, 'OK', '{"nodata":1}'), 'GET /x'), ProxmoxProtocolError);
    assert.equal(parseEnvelope(response(200, 'OK', ''), 'GET /x'), null);
  });

  it('detects a taken VMID structurally through /cluster/nextid?vmid=', async () => {
    route = (req, res) =>
      req.url?.endsWith('vmid=200')
        ? json(res, 400, { data: null, errors: { vmid: 'VM 200 already exists' } }, 'Parameter verification failed.')
        : json(res, 200, { data: '201' });
    const proxmox = client();
    assert.equal(await proxmox.isVmidFree(200), false);
    assert.equal(await proxmox.isVmidFree(201), true);
    assert.equal(await proxmox.nextId(), 201);
  });

  it('retries an idempotent GET once when the kept-alive connection is dropped, but never a POST', async () => {
    let drops = 0;
    route = (req, res) => {
      if (drops < 1) {
        drops += 1;
        req.socket.destroy();
        return;
      }
      json(res, 200, { data: [] });
    };
    assert.deepEqual(await client().clusterVms(), []);
    assert.equal(seen.length, 2);
    seen = [];
    drops = 0;
    await assert.rejects(client().createVm('pve1', { vmid: 100 }), /closed before an answer/);
    assert.equal(seen.length, 1);
  });

  it('waits for a task on the node named in its UPID, treating WARNINGS as success', async () => {
    let polls = 0;
    route = (_req, res) => {
      polls += 1;
      json(res, 200, { data: polls < 3 ? { status: 'running' } : { status: 'stopped', exitstatus: 'WARNINGS: 2' } });
    };
    const outcome = await client().waitForTask(UPID);
    assert.deepEqual(outcome, { upid: UPID, warnings: 2 });
    assert.equal(polls, 3);
    assert.ok(seen.every((request) => request.url.startsWith('/api2/json/nodes/pve2/tasks/')));
  });

  it('reports a failed task with its exit status', async () => {
    route = (_req, res) => json(res, 200, { data: { status: 'stopped', exitstatus: "can't lock file '/var/lock/qemu-server/lock-100.conf' - got timeout" } });
    const error = await client().waitForTask(UPID).catch((e: unknown) => e);
    assert.ok(error instanceof ProxmoxTaskError);
    assert.equal(error.message, "Task qmclone of VM 9000 failed with exit status: can't lock file '/var/lock/qemu-server/lock-100.conf' - got timeout");
  });

  it('stops waiting when the invocation deadline passes', async () => {
    route = (_req, res) => json(res, 200, { data: { status: 'running' } });
    const started = Date.now();
    const error = await client(300).waitForTask(UPID).catch((e: unknown) => e);
    assert.ok(error instanceof ProxmoxTaskTimeoutError, String(error));
    assert.equal(error.upid, UPID);
    assert.ok(Date.now() - started < 2_000);
  });

  it('caps each request by the deadline', async () => {
    route = () => undefined; // never answers
    const started = Date.now();
    await assert.rejects(client(200).version(), /Timed out/);
    assert.ok(Date.now() - started < 2_000);
  });

  it('refuses to build a token header from malformed details without echoing the secret', () => {
    assert.throws(() => apiTokenHeader({ ...TOKEN, secret: 'bad secret\r\nx' }), (error: Error) => !error.message.includes('bad secret'));
    assert.throws(() => apiTokenHeader({ ...TOKEN, user: 'root' }), /user@realm/);
    assert.throws(() => apiTokenHeader({ ...TOKEN, tokenId: 'a!b' }), /token id/);
  });
});

describe('Proxmox client helpers', () => {
  it('encodes forms and queries', () => {
    assert.equal(encodeForm({ a: true, b: false, c: 3, d: undefined, e: 'x y&z' }), 'a=1&b=0&c=3&e=x+y%26z');
    assert.equal(encodeQuery({ type: 'vm' }), '?type=vm');
    assert.equal(encodeQuery({}), '');
  });

  it('polls fast first and backs off to one second', () => {
    const delays = pollingDelays(DEFAULT_PROXMOX_POLICY.taskPolling);
    const first = Array.from({ length: 9 }, () => delays.next().value);
    assert.deepEqual(first, [20, 40, 80, 160, 320, 640, 1000, 1000, 1000]);
  });

  it('parses UPIDs', () => {
    const task = parseUpid(UPID);
    assert.deepEqual(task, { upid: UPID, node: 'pve2', type: 'qmclone', id: '9000' });
    assert.equal(describeTask(task!), 'qmclone of VM 9000');
    assert.equal(parseUpid('UPID:x'), undefined);
    assert.equal(describeTask(parseUpid('UPID:n1:00000001:00000002:00000003:vncproxy::root@pam:')!), 'vncproxy');
  });
});
