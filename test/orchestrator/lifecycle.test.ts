import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDatabase } from '../../src/store/database.ts';
import { testDatabases } from '../helpers/databases.ts';
import { createTestBed, provision, type Infrastructure, type TestBed } from '../helpers/orchestrator.ts';

for (const backend of testDatabases()) {
  describe(`instance lifecycle through an executable extension on ${backend.name}`, () => {
    let bed: TestBed;
    let infra: Infrastructure;
    let dispose: () => Promise<void>;

    before(async () => {
      const created = await backend.create();
      dispose = created.dispose;
      bed = await createTestBed(created.config);
      infra = await provision(bed.orchestrator, bed.admin);
    });
    after(async () => {
      // Also when `before` failed half-way: the database (schema) must not leak.
      await bed?.dispose();
      await dispose?.();
    });

    test('deploy runs prepare then create through the argv contract and ends Running', async () => {
      const { orchestrator, admin } = bed;
      const { instance, job } = await orchestrator.instances.deploy(admin, {
        zoneId: infra.zoneId,
        templateId: infra.templateId,
        serviceOfferingId: infra.offeringId,
        networkIds: [infra.networkId],
        name: 'web01',
        externalDetails: { vm_name: 'web01' },
      });
      assert.match(instance.instanceName, /^i-\d+-\d+-VM$/);
      assert.equal(instance.state, 'Stopped');
      assert.match(instance.nics[0]?.macAddress ?? '', /^02:00:([0-9a-f]{2}:){3}[0-9a-f]{2}$/);
      assert.equal(instance.nics[0]?.ipAddress, '10.1.1.2');
      const done = await orchestrator.jobs.wait(admin, job.id);
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      const running = await orchestrator.instances.get(admin, instance.id);
      assert.equal(running.state, 'Running');
      assert.equal(running.hostId, infra.hostIds[0]);
      assert.ok(running.details.fake_vmid, 'prepare details persisted');
      assert.equal(running.details['External:prepared_by'], 'test');
      assert.equal(running.details.deployvm, undefined, 'deployvm is internal and removed after a successful start');
      const expectedMac = `52:54:00:00:${Number(instance.instanceName.split('-')[2]).toString(16).padStart(2, '0')}:0a`;
      assert.equal(running.nics[0]?.macAddress, expectedMac, 'MAC returned by prepare persisted');

      for (const filter of [{ hostId: infra.hostIds[0] }, { clusterId: infra.clusterId }, { extensionId: infra.extensionId }, { zoneId: infra.zoneId }, { keyword: 'WEB0' }, { templateId: infra.templateId }]) {
        const found = await orchestrator.instances.list(admin, { listAll: true, ...filter });
        assert.deepEqual(found.items.map((item) => item.id), [instance.id], JSON.stringify(filter));
        assert.equal(found.count, 1);
      }
      assert.equal((await orchestrator.instances.list(admin, { listAll: true, hostId: 'no-such-host' })).count, 0);
      assert.equal((await orchestrator.instances.list(admin, { listAll: true, state: 'Stopped' })).count, 0);
      const calls = await bed.extension.calls();
      assert.deepEqual(calls.map((call) => call.action), ['prepare', 'create']);
      for (const call of calls) {
        assert.equal(call.fileMode, 0o600);
        assert.equal(call.dirMode, 0o700);
        assert.equal(call.timeout, '1800');
        assert.ok(call.payloadFile.startsWith(join(bed.dataRoot, 'testext')));
        assert.equal(existsSync(call.payloadFile), false, 'payload file deleted after the run');
      }
      const create = calls[1]?.payload as Record<string, unknown>;
      const vm = create['cloudstack.vm.details'] as Record<string, unknown>;
      assert.equal(create.virtualmachineid, instance.id);
      assert.equal(create.virtualmachinename, instance.instanceName);
      assert.equal(vm.minRam, 512 * 1024 * 1024);
      assert.equal(vm.cpus, 2);
      assert.equal((vm.details as Record<string, string>).deployvm, 'true');
      assert.equal((vm.details as Record<string, string>).fake_vmid, running.details.fake_vmid, 'prepare output visible in create');
      const nic = (vm.nics as Array<Record<string, unknown>>)[0];
      assert.equal(nic?.broadcastUri, 'vlan://1577');
      assert.equal(nic?.uuid, infra.networkId);
      assert.equal(nic?.mac, expectedMac);
      const external = create.externaldetails as Record<string, Record<string, string>>;
      assert.equal(external.host?.secret, 'very-secret-0');
      assert.equal(external.resourcemap?.site, 'dc1');
      assert.equal(external.extension?.region, 'lab');
      assert.equal(external.extension?.orchestratorrequirespreparevm, undefined, 'hidden details are not sent');
      assert.deepEqual(external.virtualmachine, { template_type: 'template', template_id: '101', vm_name: 'web01', storage: 'fast', prepared_by: 'test' });
      assert.equal((create.caller as Record<string, string>).roletype, 'Admin');
      assert.equal((create.caller as Record<string, string>).name, 'admin');
      assert.deepEqual(await readdir(join(bed.dataRoot, 'testext')), []);
    });

    test('stop, start on the last host with start (not create), reboot, destroy and expunge with delete', async () => {
      const { orchestrator, admin } = bed;
      const [instance] = (await orchestrator.instances.list(admin, { name: 'web01' })).items;
      assert.ok(instance);
      const before = (await bed.extension.calls()).length;
      const run = async (job: Promise<{ id: string }>) => {
        const done = await orchestrator.jobs.wait(admin, (await job).id);
        assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
        return done;
      };
      await run(orchestrator.instances.stop(admin, instance.id));
      assert.equal((await orchestrator.instances.get(admin, instance.id)).state, 'Stopped');
      await run(orchestrator.instances.start(admin, instance.id));
      const started = await orchestrator.instances.get(admin, instance.id);
      assert.equal(started.state, 'Running');
      assert.equal(started.hostId, infra.hostIds[0]);
      await run(orchestrator.instances.reboot(admin, instance.id));
      const destroyed = await run(orchestrator.instances.destroy(admin, instance.id, { expunge: true }));
      assert.equal((destroyed.result as { state: string }).state, 'Expunging');
      const calls = (await bed.extension.calls()).slice(before).map((call) => call.action);
      assert.deepEqual(calls, ['stop', 'start', 'reboot', 'stop', 'delete']);
      await assert.rejects(orchestrator.instances.get(admin, instance.id), /Unable to find virtual machine/);
      const events = await orchestrator.events.list(admin, { resourceId: instance.id });
      const types = events.items.map((event) => `${event.type}:${event.outcome}`);
      for (const expected of ['VM.CREATE:success', 'VM.STOP:success', 'VM.START:success', 'VM.REBOOT:success', 'VM.DESTROY:success', 'VM.EXPUNGE:success']) {
        assert.ok(types.includes(expected), `${expected} in ${types.join(',')}`);
      }
    });

    test('addresses: lowest free first, none when the network is full (nothing written), an expunged NIC\'s address reused', async () => {
      const { orchestrator, admin } = bed;
      const offering = await orchestrator.infrastructure.createNetworkOffering(admin, { name: 'small-net', displayText: 'small-net', guestIpType: 'Isolated', specifyVlan: true });
      // A /29 with the gateway at .3: five usable addresses (.1, .2, .4, .5, .6).
      const network = await orchestrator.infrastructure.createNetwork(admin, { name: 'tiny', zoneId: infra.zoneId, networkOfferingId: offering.id, vlan: 3001, gateway: '10.9.9.3', netmask: '255.255.255.248' });
      const deploy = () =>
        orchestrator.instances.deploy(admin, { zoneId: infra.zoneId, templateId: infra.templateId, serviceOfferingId: infra.offeringId, networkIds: [network.id], startVm: false });
      const deployed = [];
      for (let i = 0; i < 5; i += 1) deployed.push((await deploy()).instance);
      assert.deepEqual(deployed.map((instance) => instance.nics[0]?.ipAddress), ['10.9.9.1', '10.9.9.2', '10.9.9.4', '10.9.9.5', '10.9.9.6']);
      const before = (await orchestrator.instances.list(admin, { listAll: true })).count;
      await assert.rejects(deploy(), /Insufficient address capacity: no free IP address in network tiny/);
      assert.equal((await orchestrator.instances.list(admin, { listAll: true })).count, before, 'a refused deploy leaves no instance behind');
      const freed = deployed[1]!;
      const destroyed = await orchestrator.jobs.wait(admin, (await orchestrator.instances.destroy(admin, freed.id, { expunge: true })).id);
      assert.equal(destroyed.status, 'succeeded', JSON.stringify(destroyed.error));
      // The lowest free address again, although the search normally resumes after the last one handed out.
      assert.equal((await deploy()).instance.nics[0]?.ipAddress, '10.9.9.2');
      await assert.rejects(deploy(), /Insufficient address capacity/);
    });

    test('a failing create leaves the instance Stopped with deployvm kept, reports exit code and merged output', async () => {
      const { orchestrator, admin } = bed;
      await bed.extension.setBehaviour({ fail: { create: true } });
      try {
        const { instance, job } = await orchestrator.instances.deploy(admin, {
          zoneId: infra.zoneId,
          templateId: infra.templateId,
          serviceOfferingId: infra.offeringId,
          networkIds: [infra.networkId],
        });
        const done = await orchestrator.jobs.wait(admin, job.id);
        assert.equal(done.status, 'failed');
        assert.match(done.error?.message ?? '', /Exit code: 3, Output: \{"status":"error","error":"forced failure of create"\}\s+stderr noise/);
        assert.doesNotMatch(done.error?.message ?? '', /very-secret/);
        const stopped = await orchestrator.instances.get(admin, instance.id);
        assert.equal(stopped.state, 'Stopped');
        assert.equal(stopped.hostId, null);
        await bed.extension.setBehaviour({});
        const retry = await orchestrator.jobs.wait(admin, (await orchestrator.instances.start(admin, instance.id)).id);
        assert.equal(retry.status, 'succeeded');
        const calls = (await bed.extension.calls()).filter((call) => call.payload.virtualmachineid === instance.id).map((call) => call.action);
        assert.deepEqual(calls, ['prepare', 'create', 'prepare', 'create'], 'a failed create is retried as prepare+create');
      } finally {
        await bed.extension.setBehaviour({});
      }
    });

    test('host secrets are encrypted at rest and masked on read', async () => {
      const { orchestrator, admin } = bed;
      const host = (await orchestrator.infrastructure.listHosts(admin, { id: infra.hostIds[0] })).items[0];
      assert.equal(host?.externalDetails.secret, '******');
      assert.equal(host?.externalDetails.user, 'root@pam');
      assert.equal(host?.state, 'Up');
      const raw = await openDatabase(bed.config.database);
      try {
        const rows = await raw.db.selectFrom('hosts').select('external_details').execute();
        for (const row of rows) assert.doesNotMatch(row.external_details, /very-secret|root@pam/);
      } finally {
        await raw.close();
      }
    });
  });
}
