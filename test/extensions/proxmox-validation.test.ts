import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { HttpClientPool } from '../../src/clients/http/pool.ts';
import { Deadline } from '../../src/contract/deadline.ts';
import { parsePayload } from '../../src/contract/payload.ts';
import { createProxmoxExtension } from '../../src/extensions/proxmox/index.ts';
import { createPayload, type CreatePayloadOptions } from '../helpers/payloads.ts';

/**
 * Input validation happens before any remote call: a plain HTTP server counts the requests that reach it and
 * answers like Proxmox would for the few calls the accepted cases make.
 */
describe('Proxmox extension input validation', () => {
  let server: http.Server;
  let url: string;
  let requests: string[] = [];
  const connections = new HttpClientPool();
  const extension = createProxmoxExtension({ connections });

  before(async () => {
    server = http.createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: req.url?.includes('nextid') ? '123' : [] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    connections.closeAll();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function run(action: string, options: CreatePayloadOptions = {}) {
    requests = [];
    const host = { url, user: 'root@pam', token: 'extorch', secret: 'validation-secret-1', node: 'pve1', network_bridge: 'vmbr1' };
    const payload = parsePayload(createPayload({ ...options, host: { ...host, ...(options.host ?? {}) } }));
    const deadline = Deadline.after(5_000);
    try {
      return await extension.run(action, payload, { deadline });
    } finally {
      deadline.dispose();
    }
  }

  it('rejects bad names, snapshot names and create details without calling Proxmox', async () => {
    const cases: Array<[string, CreatePayloadOptions, string]> = [
      ['create', { virtualmachine: { template_id: '9000', vm_name: 'bad name' } }, "Invalid VM name 'bad name'. Only alphanumeric characters and dashes (-) are allowed."],
      ['prepare', { virtualmachine: { vm_name: 'bad_name' } }, "Invalid VM name 'bad_name'. Only alphanumeric characters and dashes (-) are allowed."],
      ['create', { virtualmachine: { template_type: 'iso' } }, 'Missing required fields: iso_path'],
      ['create', { host: { node: '' }, virtualmachine: { template_id: '9000' } }, 'Missing required fields: node'],
      ['CreateSnapshot', { extra: { parameters: { snap_name: 'x;y' } } }, "Invalid Snapshot name 'x;y'. Only alphanumeric characters and dashes (-) are allowed."],
      ['DeleteSnapshot', { extra: { parameters: {} } }, 'Missing required fields: snap_name'],
      ['suspend', {}, 'Invalid action'],
    ];
    for (const [action, options, message] of cases) {
      const result = await run(action, options);
      assert.deepEqual(result, { success: false, output: { status: 'error', error: message } }, action);
      assert.deepEqual(requests, [], `${action} must not call Proxmox`);
    }
  });

  it('does not require VM fields for host-level actions, nor a node for prepare', async () => {
    const statuses = await run('statuses', { extra: { 'cloudstack.vm.details': undefined, virtualmachineid: undefined, virtualmachinename: undefined } });
    assert.deepEqual(statuses, { success: true, output: { status: 'success', power_state: {} } });
    const prepare = await run('prepare', { host: { node: '' } });
    assert.deepEqual(prepare, { success: true, output: { details: { proxmox_vmid: '123' } } });
    assert.deepEqual(requests, ['GET /api2/json/cluster/nextid']);
  });
});
