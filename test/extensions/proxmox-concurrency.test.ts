import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HttpClientPool } from '../../src/clients/http/pool.ts';
import { Deadline } from '../../src/contract/deadline.ts';
import type { ExtensionResult } from '../../src/contract/extension.ts';
import { parsePayload } from '../../src/contract/payload.ts';
import { createProxmoxExtension } from '../../src/extensions/proxmox/index.ts';
import { testUuid } from '../helpers/payloads.ts';
import { EmulatorHarness, instancePayload, removePayloadDirectory, runExecutable, withPreparedVmid } from '../helpers/proxmox.ts';

const IN_PROCESS_DEPLOYS = 17;
const SPAWNED_DEPLOYS = 3;

/**
 * 20 parallel deploys (prepare + create) from one template on a two-node cluster: `prepare` hands every one
 * the same VMID hint, so creates collide and must re-allocate. Foreign VMs seeded around the hinted ids must
 * survive: no invocation may delete a VM it did not create.
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

  async function inProcess(action: string, payload: unknown): Promise<ExtensionResult> {
    const deadline = Deadline.after(60_000);
    try {
      return await extension.run(action, parsePayload(payload), { deadline });
    } finally {
      deadline.dispose();
    }
  }

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

    // CloudStack runs prepare, merges proxmox_vmid, then create; all twenty at once.
    const outcomes = await Promise.all(
      deploys.map(async (deploy) => {
        const prepared = await inProcess('prepare', deploy.payload);
        assert.equal(prepared.success, true, JSON.stringify(prepared.output));
        const hint = (prepared.output['details'] as Record<string, string>)['proxmox_vmid']!;
        const merged = withPreparedVmid(deploy.payload, hint);
        if (deploy.spawned) {
          const result = await runExecutable('create', merged, 120);
          assert.equal(result.stderr, '');
          return { ...deploy, hint, success: result.exitCode === 0, output: result.json };
        }
        const result = await inProcess('create', merged);
        return { ...deploy, hint, success: result.success, output: result.output };
      }),
    );

    const hints = new Set(outcomes.map((outcome) => outcome.hint));
    assert.ok(hints.size < outcomes.length, 'prepare handed out colliding hints, as nextid reserves nothing');

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
