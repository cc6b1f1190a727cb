import assert from 'node:assert/strict';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createProxmoxExtension } from '../../src/extensions/proxmox/index.ts';
import type { Orchestrator } from '../../src/orchestrator/orchestrator.ts';
import type { Caller } from '../../src/orchestrator/caller.ts';
import { testDatabases } from '../helpers/databases.ts';
import { createTestBed, type TestBed } from '../helpers/orchestrator.ts';
import { EmulatorHarness } from '../helpers/proxmox.ts';

/**
 * The documented in-built workflow end to end against the Proxmox emulator (real HTTPS): enable Proxmox → External
 * cluster bound to it → host with Proxmox details → template with external details → deploy with `vm_name` →
 * stop/start/reboot → snapshot custom actions → power sync → destroy with expunge. Once with the extension
 * in-process, once as the bundled executable at the seeded path `Proxmox/proxmox.sh`.
 */
async function runWorkflow(orchestrator: Orchestrator, admin: Caller, harness: EmulatorHarness): Promise<void> {
  const { extensions, infrastructure, templates, instances, jobs, powerSync } = orchestrator;
  const proxmox = (await extensions.listExtensions(admin, { name: 'Proxmox' })).items[0];
  assert.ok(proxmox);
  await extensions.updateExtension(admin, proxmox.id, { state: 'Enabled' });
  const zone = await infrastructure.createZone(admin, { name: 'z1', dns1: '8.8.8.8', internalDns1: '10.0.0.2' });
  const pod = await infrastructure.createPod(admin, { name: 'p1', zoneId: zone.id });
  const cluster = await infrastructure.addCluster(admin, { name: 'pve-cluster', zoneId: zone.id, podId: pod.id, hypervisor: 'External', clusterType: 'CloudManaged', extensionId: proxmox.id });
  const host = await infrastructure.addHost(admin, { zoneId: zone.id, podId: pod.id, clusterId: cluster.id, hypervisor: 'External', url: harness.url, externalDetails: harness.hostDetails() });
  assert.equal(host.state, 'Up');
  assert.equal(host.externalDetails.secret, '******');
  const offering = await infrastructure.createServiceOffering(admin, { name: 'small', displayText: 'small', cpuNumber: 1, cpuSpeed: 1000, memory: 512 });
  const networkOffering = await infrastructure.createNetworkOffering(admin, { name: 'l2', displayText: 'l2', guestIpType: 'L2' });
  const network = await infrastructure.createNetwork(admin, { name: 'vlan1577', zoneId: zone.id, networkOfferingId: networkOffering.id, vlan: 1577 });
  const template = await templates.registerTemplate(admin, { name: 'ubuntu', displayText: 'ubuntu', format: 'External', hypervisor: 'External', url: 'http://dummy', zoneId: zone.id, extensionId: proxmox.id, externalDetails: { template_type: 'template', template_id: '9000' } });

  const succeed = async (job: Promise<{ id: string }>) => {
    const done = await jobs.wait(admin, (await job).id, 120_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    return done;
  };
  const { instance, job } = await instances.deploy(admin, { zoneId: zone.id, templateId: template.id, serviceOfferingId: offering.id, networkIds: [network.id], externalDetails: { vm_name: 'web01' } });
  await succeed(Promise.resolve(job));
  const running = await instances.get(admin, instance.id);
  assert.equal(running.state, 'Running');
  assert.match(running.details.proxmox_vmid ?? '', /^\d+$/, 'prepare allocated a VMID and it was persisted');
  const [guest] = await harness.guests();
  assert.equal(guest?.name, 'web01');
  assert.equal(guest?.status, 'running');
  assert.equal(String(guest?.vmid), running.details.proxmox_vmid);
  assert.match(String(guest?.config.net0 ?? ''), new RegExp(`${running.nics[0]?.macAddress ?? 'missing'}.*tag=1577`, 'i'));

  await succeed(instances.stop(admin, instance.id));
  assert.equal((await harness.guests())[0]?.status, 'stopped');
  await succeed(instances.start(admin, instance.id));
  assert.equal((await harness.guests())[0]?.status, 'running');
  await succeed(instances.reboot(admin, instance.id));

  const actions = await extensions.listCustomActions(admin, { resourceId: instance.id });
  const byName = new Map(actions.items.map((action) => [action.name, action.id]));
  const created = await succeed(extensions.runCustomAction(admin, { customActionId: byName.get('CreateSnapshot') ?? '', resourceId: instance.id, parameters: { snap_name: 'before-upgrade', snap_description: 'pre' } }));
  assert.deepEqual((created.result as { success: boolean }).success, true, JSON.stringify(created.result));
  assert.equal((created.result as { result: { message: string } }).result.message, `Snapshot created for ${instance.instanceName} in Proxmox`);
  const listed = await succeed(extensions.runCustomAction(admin, { customActionId: byName.get('ListSnapshots') ?? '', resourceId: instance.id }));
  assert.match((listed.result as { result: { details: string } }).result.details, /before-upgrade/);
  const missingParameter = await jobs.wait(admin, (await extensions.runCustomAction(admin, { customActionId: byName.get('CreateSnapshot') ?? '', resourceId: instance.id })).id);
  assert.match(missingParameter.error?.message ?? '', /Missing or empty required parameter: snap_name/);

  const report = await powerSync.syncHost(host.id);
  assert.equal(report.method, 'statuses');
  assert.equal(report.states[instance.instanceName], 'PowerOn');

  await succeed(instances.destroy(admin, instance.id, { expunge: true }));
  assert.deepEqual(await harness.guests(), [], 'delete removed the VM from Proxmox');
}

const sqlite = testDatabases().find((database) => database.name === 'sqlite');

describe('Proxmox end to end through the orchestrator (emulator over HTTPS)', () => {
  let harness: EmulatorHarness;
  before(async () => {
    harness = await EmulatorHarness.start();
  });
  after(async () => {
    await harness.emulator.close();
  });

  test('in-process in-built extension', async () => {
    const created = await sqlite!.create();
    const bed: TestBed = await createTestBed(created.config, { builtinExtensions: { Proxmox: createProxmoxExtension() } });
    try {
      await runWorkflow(bed.orchestrator, bed.admin, harness);
    } finally {
      await bed.dispose();
      await created.dispose();
    }
  });

  test('the bundled executable at the seeded path Proxmox/proxmox.sh (argv contract)', async () => {
    const created = await sqlite!.create();
    const bed: TestBed = await createTestBed(created.config);
    try {
      // As on a CloudStack management server: a shim at the seeded path that runs the bundled executable.
      await mkdir(join(bed.extensionsRoot, 'Proxmox'), { recursive: true });
      const shim = join(bed.extensionsRoot, 'Proxmox', 'proxmox.sh');
      await writeFile(shim, `#!/bin/sh\nexec "${process.execPath}" "${resolve('dist/extorch-proxmox.js')}" "$@"\n`);
      await chmod(shim, 0o755);
      await runWorkflow(bed.orchestrator, bed.admin, harness);
    } finally {
      await bed.dispose();
      await created.dispose();
    }
  });
});
