import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { HttpClientPool } from '../../src/clients/http/pool.ts';
import { ClusterListings } from '../../src/extensions/proxmox/cluster-listing.ts';
import { createProxmoxExtension } from '../../src/extensions/proxmox/index.ts';
import { runInProcess } from '../helpers/in-process.ts';
import { testUuid } from '../helpers/payloads.ts';
import { EmulatorHarness, instancePayload } from '../helpers/proxmox.ts';

const LISTING = 'GET /cluster/resources';

/** `create` shares a recent cluster VM list between in-process invocations, where staleness is safe. */
describe('Proxmox create with a shared cluster listing', () => {
  let harness: EmulatorHarness;
  const connections = new HttpClientPool();
  let now = 0;
  // A clock the test moves: the shared list is 500 ms "old" only when the test says so.
  const extension = createProxmoxExtension({ connections, listings: new ClusterListings(500, () => now) });

  before(async () => {
    harness = await EmulatorHarness.start({ nodes: ['pve1', 'pve2'] });
  });
  beforeEach(async () => {
    await harness.reset();
    await harness.control('DELETE', 'requests');
    now += 10_000; // every test starts with an expired list
  });
  after(async () => {
    connections.closeAll();
    await harness.close();
  });

  const listings = async () => ((await harness.control<{ byRoute: Record<string, number> }>('GET', 'requests')).byRoute[LISTING] ?? 0);
  const create = (payload: unknown) => runInProcess(extension, 'create', payload, 30_000);

  it('creates within the reuse window share one list; an older list is fetched again', async () => {
    const results = await Promise.all(Array.from({ length: 4 }, (_, index) => create(instancePayload(harness, { node: index % 2 ? 'pve2' : 'pve1' }))));
    assert.deepEqual(results.map((result) => result.success), [true, true, true, true]);
    assert.equal(await listings(), 1);
    now += 501;
    assert.equal((await create(instancePayload(harness))).success, true);
    assert.equal(await listings(), 2);
    assert.equal((await harness.guests()).length, 5);
  });

  it('never shares a list with other credentials: a wrong secret is refused although a list is kept', async () => {
    assert.equal((await create(instancePayload(harness))).success, true);
    const wrong = await create(instancePayload(harness, { host: { secret: '00000000-0000-4000-8000-000000000000' } }));
    assert.equal(wrong.success, false);
    assert.match(String(wrong.output['error']), /authentication|401|permission|invalid/i);
    assert.equal((await harness.guests()).length, 1);
  });

  it('a shared read that fails for the invocation that started it (its deadline) is read again by the others', async () => {
    await harness.addFault({ method: 'GET', path: '/cluster/resources$', latencyMs: 3_000, times: 1 });
    // 2.5 s, of which 1 s is kept for the undo: its read is abandoned after 1.5 s.
    const short = runInProcess(extension, 'create', instancePayload(harness), 2_500);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const patient = create(instancePayload(harness));
    const [first, second] = await Promise.all([short, patient]);
    assert.equal(first.success, false, 'the invocation whose deadline ran out fails');
    assert.equal(second.success, true, JSON.stringify(second.output));
    assert.equal(await listings(), 2);
    assert.equal((await harness.guests()).length, 1);
  });

  it('a template newer than the shared list is found in a fresh one', async () => {
    assert.equal((await create(instancePayload(harness))).success, true);
    await harness.addVm({ node: 'pve2', vmid: 9100, name: 'new-template', template: true });
    const result = await create(instancePayload(harness, { node: 'pve2', virtualmachine: { template_type: 'template', template_id: '9100' } }));
    assert.equal(result.success, true, JSON.stringify(result.output));
    assert.equal(await listings(), 2);
  });

  it('a failed create drops the shared list: the next create of the instance sees and removes its leftover', async () => {
    const uuid = testUuid();
    assert.equal((await create(instancePayload(harness))).success, true, 'a list is now shared');
    // The start fails and the undo is refused once: the clone stays behind, tagged for the instance.
    await harness.configure({ failTasks: { qmstart: 'start failed: QEMU exited with code 1' } });
    await harness.addFault({ method: 'DELETE', path: '/qemu/\\d+$', status: 500, message: 'VM is locked (backup)', times: 1 });
    const failed = await create(instancePayload(harness, { uuid }));
    assert.equal(failed.success, false);
    assert.ok(await harness.vmTaggedFor(uuid), 'the leftover survived the failed undo');
    await harness.configure({ failTasks: {} });
    const retried = await create(instancePayload(harness, { uuid }));
    assert.equal(retried.success, true, JSON.stringify(retried.output));
    const tagged = (await harness.vms()).filter((vm) => (vm.tags ?? '').includes(`cloudstack-${uuid}`));
    assert.equal(tagged.length, 1, 'exactly one VM carries the instance after the retry');
    assert.equal(tagged[0]!.status, 'running');
  });
});
