import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HttpClientPool } from '../../src/clients/http/pool.ts';
import { createProxmoxExtension } from '../../src/extensions/proxmox/index.ts';
import { runInProcess } from '../helpers/in-process.ts';
import { testUuid } from '../helpers/payloads.ts';
import { EmulatorHarness, instancePayload, removePayloadDirectory, runExecutable, withPreparedVmid } from '../helpers/proxmox.ts';

const IN_PROCESS_DEPLOYS = 17;
const SPAWNED_DEPLOYS = 3;

/**
 * 20 parallel deploys (prepare + create) from one template on a two-node cluster. Prepares in this process
 * hold the VMIDs they hand out, so they never share one; the spawned prepares (other processes, as several
 * orchestrators or CloudStack would run them) are all handed the lowest unused id, so their creates collide and
 * must re-allocate. Foreign VMs seeded around the hinted ids must survive: no invocation may delete a VM it did
 * not create.
 */
describe('Proxmox extension under concurrent deploys', () => {
  let harness: EmulatorHarness;
  const connections = new HttpClientPool();
  const extension = createProxmoxExtension({ connections });

  before(async () => {
    // Tasks take a little time, so clones overlap and placeholders (lock: clone) are visible to the others.
    harness = await EmulatorHarness.start({ nodes: ['pve1', 'pve2'], taskDurationMs: 40 });
  });
  after(async () => {
    connections.closeAll();
    await harness.close();
    await removePayloadDirectory();
  });

  const inProcess = (action: string, payload: unknown) => runInProcess(extension, action, payload, 60_000);

  it('all 20 deploys succeed or fail cleanly, and foreign VMs survive', async () => {
    const foreign = [
      { node: 'pve1', vmid: 101, name: 'tenant-b-1', status: 'running' as const, tags: 'cloudstack-aaaaaaaa-0000-4000-8000-000000000001' },
      { node: 'pve2', vmid: 103, name: 'tenant-b-2', status: 'stopped' as const, tags: 'cloudstack-aaaaaaaa-0000-4000-8000-000000000002' },
      { node: 'pve1', vmid: 106, name: 'hand-made', status: 'running' as const },
    ];
    for (const vm of foreign) await harness.addVm(vm);

    const deploys = Array.from({ length: IN_PROCESS_DEPLOYS + SPAWNED_DEPLOYS }, (_, index) => {
      const uuid = testUuid();
      const node = index % 2 === 0 ? 'pve1' : 'pve2';
      const payload = instancePayload(harness, { uuid, node, virtualmachine: { template_type: 'template', template_id: '9000', vm_name: `web-${index}` } });
      return { uuid, index, payload, spawned: index >= IN_PROCESS_DEPLOYS };
    });

    // CloudStack runs prepare, merges proxmox_vmid, then create. All prepares first, all at once, so that no
    // VM exists yet while the ids are handed out; then all creates at once.
    const prepared = await Promise.all(
      deploys.map(async (deploy) => {
        if (deploy.spawned) {
          const result = await runExecutable('prepare', deploy.payload, 60);
          assert.equal(result.exitCode, 0, JSON.stringify(result.json));
          return { ...deploy, hint: (result.json['details'] as Record<string, string>)['proxmox_vmid']! };
        }
        const result = await inProcess('prepare', deploy.payload);
        assert.equal(result.success, true, JSON.stringify(result.output));
        return { ...deploy, hint: (result.output['details'] as Record<string, string>)['proxmox_vmid']! };
      }),
    );
    const inProcessHints = prepared.filter((deploy) => !deploy.spawned).map((deploy) => deploy.hint);
    assert.equal(new Set(inProcessHints).size, IN_PROCESS_DEPLOYS, `prepares in one process never share an id: ${inProcessHints.join(',')}`);
    for (const seeded of foreign) assert.ok(!inProcessHints.includes(String(seeded.vmid)), `VMID ${seeded.vmid} of a foreign VM is never handed out`);
    const hints = new Set(prepared.map((deploy) => deploy.hint));
    assert.ok(hints.size < prepared.length, 'prepares in other processes were handed ids this process holds (nextid reserves nothing)');

    const outcomes = await Promise.all(
      prepared.map(async (deploy) => {
        const merged = withPreparedVmid(deploy.payload, deploy.hint);
        if (deploy.spawned) {
          const result = await runExecutable('create', merged, 120);
          assert.equal(result.stderr, '');
          return { ...deploy, success: result.exitCode === 0, output: result.json };
        }
        const result = await inProcess('create', merged);
        return { ...deploy, success: result.success, output: result.output };
      }),
    );

    const vms = await harness.vms();
    for (const outcome of outcomes) {
      const tagged = vms.filter((vm) => (vm.tags ?? '').includes(`cloudstack-${outcome.uuid}`));
      if (outcome.success) {
        assert.deepEqual(outcome.output, { status: 'success', message: 'Instance created' });
        assert.equal(tagged.length, 1, `deploy ${outcome.index} owns exactly one VM`);
        assert.equal(tagged[0]!.node, outcome.index % 2 === 0 ? 'pve1' : 'pve2');
        assert.equal(tagged[0]!.status, 'running');
        assert.equal(tagged[0]!.name, `web-${outcome.index}`);
      } else {
        assert.equal(outcome.output['status'], 'error');
        assert.equal(tagged.length, 0, `failed deploy ${outcome.index} left nothing: ${JSON.stringify(outcome.output)}`);
      }
    }
    for (const seeded of foreign) {
      const survivor = vms.find((vm) => vm.vmid === seeded.vmid);
      assert.ok(survivor, `foreign VM ${seeded.vmid} survived`);
      assert.equal(survivor.name, seeded.name);
      assert.equal(survivor.node, seeded.node);
      assert.equal(survivor.status, seeded.status);
    }
    const reallocated = outcomes.filter((outcome) => {
      const vm = vms.find((candidate) => (candidate.tags ?? '').includes(`cloudstack-${outcome.uuid}`));
      return vm !== undefined && String(vm.vmid) !== outcome.hint;
    });
    assert.ok(reallocated.length >= outcomes.length - hints.size, 'colliding deploys moved to other VMIDs');
    const guests = vms.filter((vm) => !vm.template);
    assert.equal(guests.length, foreign.length + outcomes.filter((outcome) => outcome.success).length, 'no stray VMs');
    assert.equal(new Set(guests.map((vm) => vm.vmid)).size, guests.length);
    // With the default timings every deploy should get through by re-allocating.
    assert.equal(outcomes.filter((outcome) => !outcome.success).length, 0, JSON.stringify(outcomes.filter((o) => !o.success).map((o) => o.output)));
  });
});
