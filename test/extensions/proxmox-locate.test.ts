import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { HttpClientPool } from '../../src/clients/http/pool.ts';
import { createProxmoxExtension } from '../../src/extensions/proxmox/index.ts';
import { runInProcess } from '../helpers/in-process.ts';
import { testUuid } from '../helpers/payloads.ts';
import { EmulatorHarness, instancePayload, withPreparedVmid } from '../helpers/proxmox.ts';

/** Instance actions find the VM by its hint on the host's node first, and by tag over the cluster otherwise. */
describe('Proxmox: locating the instance VM', () => {
  let harness: EmulatorHarness;
  const connections = new HttpClientPool();
  const extension = createProxmoxExtension({ connections });

  before(async () => {
    harness = await EmulatorHarness.start({ nodes: ['pve1', 'pve2'] });
  });
  beforeEach(() => harness.reset());
  after(async () => {
    connections.closeAll();
    await harness.close();
  });

  const run = (action: string, payload: unknown) => runInProcess(extension, action, payload, 30_000);
  const requests = async () => (await harness.control<{ byRoute: Record<string, number> }>('GET', 'requests')).byRoute;
  const deployed = async (node: string) => {
    const uuid = testUuid();
    const payload = withPreparedVmid(instancePayload(harness, { uuid, node }), '100');
    assert.equal((await run('create', payload)).success, true);
    await harness.control('DELETE', 'requests');
    return payload;
  };

  it('the hinted VM on the host node costs one config read, not a cluster listing', async () => {
    const payload = await deployed('pve1');
    assert.deepEqual((await run('status', payload)).output, { status: 'success', power_state: 'poweron' });
    const byRoute = await requests();
    assert.equal(byRoute['GET /cluster/resources'] ?? 0, 0);
    assert.equal(byRoute['GET /nodes/{node}/qemu/{vmid}/config'], 1);
  });

  it('a VM moved to another node is found by its tag over the cluster', async () => {
    const payload = await deployed('pve1');
    await harness.migrate(100, 'pve2');
    assert.deepEqual((await run('status', payload)).output, { status: 'success', power_state: 'poweron' });
    assert.equal((await run('stop', payload)).success, true);
    assert.equal((await harness.vm(100))?.status, 'stopped');
    assert.equal((await requests())['GET /cluster/resources'], 2);
  });

  it('a hint naming another VM on the host node is not trusted: the tagged VM is acted upon', async () => {
    const payload = await deployed('pve1');
    await harness.addVm({ node: 'pve2', vmid: 300, name: 'someone-else', status: 'running', tags: 'cloudstack-aaaaaaaa-0000-4000-8000-000000000009' });
    const wrongHint = withPreparedVmid({ ...payload, ...instancePayload(harness, { uuid: String(payload['virtualmachineid']), node: 'pve2' }) }, '300');
    assert.equal((await run('stop', wrongHint)).success, true);
    assert.equal((await harness.vm(100))?.status, 'stopped', 'the instance VM stopped');
    assert.equal((await harness.vm(300))?.status, 'running', 'the VM at the hint untouched');
  });
});
