import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Instance } from '../../src/orchestrator/types.ts';
import { testDatabases } from '../helpers/databases.ts';
import { createTestBed, provision, type Infrastructure, type TestBed } from '../helpers/orchestrator.ts';

for (const backend of testDatabases()) {
  describe(`power-state sync on ${backend.name}`, () => {
    let bed: TestBed;
    let infra: Infrastructure;
    let dispose: () => Promise<void>;
    let now = Date.parse('2026-01-01T00:00:00Z');
    let vm1: Instance;
    let vm2: Instance;

    before(async () => {
      const created = await backend.create();
      dispose = created.dispose;
      bed = await createTestBed(created.config, { clock: () => now });
      infra = await provision(bed.orchestrator, bed.admin);
      const deploy = async () => {
        const { instance, job } = await bed.orchestrator.instances.deploy(bed.admin, { zoneId: infra.zoneId, templateId: infra.templateId, serviceOfferingId: infra.offeringId, networkIds: [infra.networkId] });
        assert.equal((await bed.orchestrator.jobs.wait(bed.admin, job.id)).status, 'succeeded');
        return instance;
      };
      vm1 = await deploy();
      vm2 = await deploy();
    });
    after(async () => {
      // Also when `before` failed half-way: the database (schema) must not leak.
      await bed?.dispose();
      await dispose?.();
    });

    const state = async (instance: Instance) => bed.orchestrator.instances.get(bed.admin, instance.id);
    const hostId = () => infra.hostIds[0] ?? '';

    test('statuses reports every instance in one call', async () => {
      const before = (await bed.extension.calls()).length;
      const report = await bed.orchestrator.powerSync.syncHost(hostId());
      assert.equal(report.method, 'statuses');
      assert.deepEqual(report.states, { [vm1.instanceName]: 'PowerOn', [vm2.instanceName]: 'PowerOn' });
      assert.deepEqual(report.transitions, []);
      assert.deepEqual((await bed.extension.calls()).slice(before).map((call) => call.action), ['statuses']);
    });

    test('out-of-band power off and on move the instance between Stopped and Running, with events', async () => {
      await bed.extension.setPower(vm1.instanceName, 'poweroff');
      const off = await bed.orchestrator.powerSync.syncHost(hostId());
      assert.deepEqual(off.transitions, [{ instanceId: vm1.id, from: 'Running', to: 'Stopped', powerState: 'PowerOff' }]);
      const stopped = await state(vm1);
      assert.equal(stopped.state, 'Stopped');
      assert.equal(stopped.powerState, 'PowerOff');
      assert.equal(stopped.hostId, null);
      await bed.extension.setPower(vm1.instanceName, 'poweron');
      const on = await bed.orchestrator.powerSync.syncHost(hostId());
      assert.deepEqual(on.transitions, [{ instanceId: vm1.id, from: 'Stopped', to: 'Running', powerState: 'PowerOn' }]);
      assert.equal((await state(vm1)).hostId, hostId(), 'a stopped instance last on this host is polled too');
      const events = await bed.orchestrator.events.list(bed.admin, { resourceId: vm1.id, type: 'VM.POWER.STATE' });
      assert.equal(events.count, 2);
    });

    test('a missing report becomes PowerReportMissing only after the grace period', async () => {
      await bed.extension.setPower(vm2.instanceName, null);
      const early = await bed.orchestrator.powerSync.syncHost(hostId());
      assert.equal(early.states[vm2.instanceName], 'PowerReportMissing');
      assert.equal((await state(vm2)).powerState, 'PowerOn', 'within the grace period nothing changes');
      now += 121_000;
      const late = await bed.orchestrator.powerSync.syncHost(hostId());
      assert.deepEqual(late.transitions, [{ instanceId: vm2.id, from: 'Running', to: 'Running', powerState: 'PowerReportMissing' }]);
      const missing = await state(vm2);
      assert.equal(missing.powerState, 'PowerReportMissing');
      assert.equal(missing.state, 'Running');
      const warn = await bed.orchestrator.events.list(bed.admin, { resourceId: vm2.id, level: 'WARN' });
      assert.equal(warn.count, 1);
    });

    test('falls back to per-instance status when statuses is unsupported', async () => {
      await bed.extension.setBehaviour({ statusesUnsupported: true });
      await bed.extension.setPower(vm2.instanceName, 'poweroff');
      const before = (await bed.extension.calls()).length;
      const report = await bed.orchestrator.powerSync.syncHost(hostId());
      assert.equal(report.method, 'status');
      assert.deepEqual(report.states, { [vm1.instanceName]: 'PowerOn', [vm2.instanceName]: 'PowerOff' });
      const actions = (await bed.extension.calls()).slice(before).map((call) => call.action).sort();
      assert.deepEqual(actions, ['status', 'status', 'statuses']);
      assert.equal((await state(vm2)).state, 'Stopped');
      const all = await bed.orchestrator.powerSync.syncAll();
      assert.equal(all.length, 1);
      await bed.extension.setBehaviour({});
    });
  });
}
