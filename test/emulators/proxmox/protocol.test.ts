import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmulator } from './helpers.ts';
import type { TestApi } from './helpers.ts';

describe('proxmox emulator: wire protocol and authentication', () => {
  let api: TestApi;
  let stop: () => Promise<void>;
  before(async () => {
    ({ api, stop } = await startEmulator({ nodes: ['pve1', 'pve2'], password: 'correct horse' }));
  });
  after(() => stop());

  it('answers with the data envelope and pveproxy headers', async () => {
    const response = await api.get('/version');
    assert.equal(response.status, 200);
    assert.deepEqual(Object.keys(response.json!), ['data']);
    assert.equal((response.data as { version: string }).version, '9.1.3');
    assert.equal(response.headers['content-type'], 'application/json;charset=UTF-8');
    assert.equal(response.headers.server, 'pve-api-daemon/3.0');
    assert.equal(response.headers['cache-control'], 'max-age=0');
    assert.equal(response.headers.pragma, 'no-cache');
    assert.ok(response.headers.expires);
  });

  it('gzips large answers for clients that accept it', async () => {
    const response = await api.http.request({ method: 'GET', path: '/api2/json/cluster/resources', headers: { authorization: api.authorization!, 'accept-encoding': 'gzip' }, timeoutMs: 5000 });
    assert.equal(response.headers['content-encoding'], 'gzip');
    const { gunzipSync } = await import('node:zlib');
    const body = JSON.parse(gunzipSync(response.body).toString()) as { data: unknown[] };
    assert.ok(body.data.length > 5);
    const small = await api.http.request({ method: 'GET', path: '/api2/json/version', headers: { authorization: api.authorization!, 'accept-encoding': 'gzip' }, timeoutMs: 5000 });
    assert.equal(small.headers['content-encoding'], undefined);
  });

  it('lists nodes as online', async () => {
    const nodes = (await api.ok('GET', '/nodes')) as Array<{ node: string; status: string }>;
    assert.deepEqual(
      nodes.map((node) => [node.node, node.status]),
      [
        ['pve1', 'online'],
        ['pve2', 'online'],
      ],
    );
    const status = (await api.ok('GET', '/nodes/pve2/status')) as { uptime: number; memory: { total: number } };
    assert.ok(status.uptime > 0 && status.memory.total > 0);
  });

  it('refuses requests without credentials with 401 No ticket and no body', async () => {
    const saved = api.authorization;
    api.authorization = undefined;
    try {
      const response = await api.get('/nodes');
      assert.equal(response.status, 401);
      assert.equal(response.statusText, 'No ticket');
      assert.equal(response.json, undefined);
    } finally {
      api.authorization = saved;
    }
  });

  it('refuses wrong token secrets, unknown tokens and unknown users', async () => {
    const saved = api.authorization;
    try {
      api.authorization = 'PVEAPIToken=root@pam!extorch=00000000-0000-0000-0000-000000000000';
      let response = await api.get('/nodes');
      assert.equal(response.status, 401);
      assert.equal(response.statusText, 'invalid token value!');
      api.authorization = `PVEAPIToken=root@pam!other=${api.emulator.secret}`;
      response = await api.get('/nodes');
      assert.equal(response.statusText, "no such token 'other' for user 'root@pam'");
      api.authorization = `PVEAPIToken=alice@pve!extorch=${api.emulator.secret}`;
      response = await api.get('/nodes');
      assert.equal(response.statusText, "no such user ('alice@pve')");
      api.authorization = 'PVEAPIToken=garbage';
      response = await api.get('/nodes');
      assert.equal(response.statusText, 'invalid token value!');
    } finally {
      api.authorization = saved;
    }
  });

  it('accepts the token with a space separator and URI-escaped', async () => {
    const saved = api.authorization;
    try {
      api.authorization = `PVEAPIToken ${encodeURIComponent(`root@pam!extorch=${api.emulator.secret}`)}`;
      assert.equal((await api.get('/version')).status, 200);
    } finally {
      api.authorization = saved;
    }
  });

  it('logs in with a ticket, needs the CSRF token for writes, and refuses forged tickets', async () => {
    const saved = api.authorization;
    api.authorization = undefined;
    try {
      const bad = await api.post('/access/ticket', { username: 'root@pam', password: 'wrong' });
      assert.equal(bad.status, 401);
      assert.equal(bad.statusText, 'authentication failure');
      const login = await api.post('/access/ticket', { username: 'root', realm: 'pam', password: 'correct horse' });
      assert.equal(login.status, 200);
      const { ticket, CSRFPreventionToken: csrf, username } = login.data as { ticket: string; CSRFPreventionToken: string; username: string };
      assert.equal(username, 'root@pam');
      assert.match(ticket, /^PVE:root@pam:[0-9A-F]{8}::/);
      assert.match(csrf, /^[0-9A-F]{8}:/);
      const cookie = { cookie: `PVEAuthCookie=${encodeURIComponent(ticket)}` };
      assert.equal((await api.call('GET', '/cluster/nextid', {}, { headers: cookie })).status, 200);
      const noCsrf = await api.call('POST', '/nodes/pve1/qemu/9000/clone', { newid: 500 }, { headers: cookie });
      assert.equal(noCsrf.status, 401);
      assert.equal(noCsrf.statusText, 'Permission denied - invalid csrf token');
      const withCsrf = await api.call('POST', '/nodes/pve1/qemu/9000/clone', { newid: 500, name: 'via-ticket' }, { headers: { ...cookie, csrfpreventiontoken: csrf } });
      assert.equal(withCsrf.status, 200);
      assert.match(String(withCsrf.data), /:qmclone:9000:root@pam:$/);
      const renewed = await api.post('/access/ticket', { username: 'root@pam', password: ticket });
      assert.equal(renewed.status, 200, 'a valid ticket renews itself');
      assert.equal((await api.post('/access/ticket', { username: 'root@pam', password: ticket.replace(/::.*/, '::AAAA') })).status, 401);
      const forged = await api.call('GET', '/nodes', {}, { headers: { cookie: `PVEAuthCookie=${ticket.replace(/::.*/, '::AAAA')}` } });
      assert.equal(forged.status, 401);
      assert.equal(forged.statusText, 'permission denied - invalid PVE ticket');
    } finally {
      api.authorization = saved;
    }
  });

  it('serves directory indexes', async () => {
    assert.ok(((await api.ok('GET', '/')) as Array<{ subdir: string }>).some((entry) => entry.subdir === 'nodes'));
    assert.ok(((await api.ok('GET', '/nodes/pve1')) as Array<{ name: string }>).some((entry) => entry.name === 'qemu'));
    assert.ok(((await api.ok('GET', '/cluster')) as Array<{ name: string }>).some((entry) => entry.name === 'nextid'));
    assert.ok(((await api.ok('GET', '/nodes/pve1/qemu/9000')) as Array<{ subdir: string }>).some((entry) => entry.subdir === 'snapshot'));
    assert.ok(((await api.ok('GET', '/nodes/pve1/qemu/9000/status')) as Array<{ subdir: string }>).some((entry) => entry.subdir === 'current'));
  });

  it('answers unknown paths and methods with 501', async () => {
    const unknown = await api.get('/nodes/pve1/lxc-nope');
    assert.equal(unknown.status, 501);
    assert.equal(unknown.statusText, "Method 'GET /nodes/pve1/lxc-nope' not implemented");
    assert.deepEqual(unknown.json, { data: null, message: "Method 'GET /nodes/pve1/lxc-nope' not implemented\n" });
    const wrongMethod = await api.call('PATCH', '/version');
    assert.equal(wrongMethod.status, 501);
    assert.equal(wrongMethod.statusText, "method 'PATCH' not available");
    assert.equal(wrongMethod.json, undefined);
    const wrongFormat = await api.http.request({ method: 'GET', path: '/api2/xml/version', timeoutMs: 5000 });
    assert.equal(wrongFormat.statusText, 'no such uri');
    const notAFile = await api.http.request({ method: 'GET', path: '/pve2/missing.js', timeoutMs: 5000 });
    assert.equal(notAFile.statusText, "no such file '/pve2/missing.js'");
    const page = await api.http.request({ method: 'GET', path: '/', timeoutMs: 5000 });
    assert.match(page.body.toString(), /<title>pve1 - Proxmox Virtual Environment<\/title>/);
    const body = await api.http.request({ method: 'GET', path: '/api2/json/version', headers: { authorization: api.authorization!, 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=b', timeoutMs: 5000 });
    assert.equal(body.status, 501);
    assert.equal(body.statusText, "Unexpected content for method 'GET'");
  });

  it('reports parameter verification failures per parameter with the real texts', async () => {
    const response = await api.post('/nodes/pve1/qemu', {
      vmid: 50,
      name: 'not_a_dns_name',
      start: 'true',
      ostype: 'beos',
      cores: 'abc',
      'net0': 'virtio,bridge=vmbr0,tag=untagged',
      scsi0: 'local-lvm:32,iothread=maybe',
      bogus: 1,
      net99: 'virtio',
    });
    assert.equal(response.status, 400);
    assert.equal(response.statusText, 'Parameter verification failed.');
    assert.equal(response.json!.data, null);
    assert.equal(response.json!.message, 'Parameter verification failed.\n');
    assert.deepEqual(response.json!.errors, {
      vmid: 'invalid format - value does not look like a valid VM ID\n',
      name: 'invalid format - value does not look like a valid DNS name\n',
      start: "type check ('boolean') failed - got 'true'",
      ostype: "value 'beos' does not have a value in the enumeration 'other, wxp, w2k, w2k3, w2k8, wvista, win7, win8, win10, win11, l24, l26, solaris'",
      cores: "type check ('integer') failed - got 'abc'",
      net0: "invalid format - format error\nnet0.tag: type check ('integer') failed - got 'untagged'\n",
      scsi0: "invalid format - format error\nscsi0.iothread: type check ('boolean') failed - got 'maybe'\n",
      bogus: 'property is not defined in schema and the schema does not allow additional properties',
      net99: 'property is not defined in schema and the schema does not allow additional properties',
    });
  });

  it('checks vmid formats, missing required parameters and property-string grammar', async () => {
    const leadingZero = await api.post('/nodes/pve1/qemu', { vmid: '0150' });
    assert.deepEqual(leadingZero.json!.errors, { vmid: 'invalid format - value does not look like a valid VM ID\n' });
    const missing = await api.post('/nodes/pve1/qemu', { name: 'x' });
    assert.deepEqual(missing.json!.errors, { vmid: 'property is missing and it is not optional' });
    const badNode = await api.get('/nodes/pve.example/qemu');
    assert.deepEqual(badNode.json!.errors, { node: 'invalid format - value does not look like a valid node name\n' });
    const grammar = await api.post('/nodes/pve1/qemu', { vmid: 150, net0: 'virtio,virtio', net1: 'model=virtio,colour=red', net2: 'bridge=vmbr0', net3: 'virtio=01:00:00:00:00:01', ide2: 'local:iso/x.iso,media=floppy' });
    assert.deepEqual(grammar.json!.errors, {
      net0: 'invalid format - duplicate key in comma-separated list property: model\n',
      net1: 'invalid format - invalid key in comma-separated list property: colour\n',
      net2: 'invalid format - format error\nnet2.model: property is missing and it is not optional\n',
      net3: 'invalid format - format error\nnet3.macaddr: invalid format - value does not look like a valid unicast MAC address\n\n',
      ide2: "invalid format - format error\nide2.media: value 'floppy' does not have a value in the enumeration 'cdrom, disk'\n",
    });
    const tooLong = await api.post('/nodes/pve1/qemu/9000/snapshot', { snapname: `s${'x'.repeat(40)}` });
    assert.deepEqual(tooLong.json!.errors, { snapname: 'value may only be 40 characters long' });
    const badSnap = await api.post('/nodes/pve1/qemu/9000/snapshot', { snapname: '1st' });
    assert.deepEqual(badSnap.json!.errors, { snapname: "invalid format - invalid configuration ID '1st'\n" });
  });

  it('refuses a path parameter repeated with another value', async () => {
    const response = await api.get('/nodes/pve1/qemu', { node: 'pve2' });
    assert.equal(response.status, 400);
    assert.deepEqual(response.json!.errors, { node: 'duplicate parameter (already defined in URI) with conflicting values!' });
  });

  it('accepts JSON bodies as well as form bodies', async () => {
    const response = await api.call('POST', '/nodes/pve1/qemu', { vmid: 777, name: 'json-body', memory: 512, start: 0 }, { json: true });
    assert.equal(response.status, 200);
    assert.equal(await api.waitTask(String(response.data)).then((status) => status.exitstatus), 'OK');
    const config = (await api.ok('GET', '/nodes/pve1/qemu/777/config')) as Record<string, unknown>;
    assert.equal(config.name, 'json-body');
    assert.equal(config.memory, '512');
  });

  it('fails with 500 for nodes that do not exist', async () => {
    const response = await api.get('/nodes/pve9/qemu');
    assert.equal(response.status, 500);
    assert.match(response.statusText, /^hostname lookup 'pve9' failed/);
  });
});
