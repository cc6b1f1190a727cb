import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defineExtension, type JsonObject } from '../../src/contract/extension.ts';
import type { Payload } from '../../src/contract/payload.ts';
import type { Caller } from '../../src/orchestrator/caller.ts';
import { testDatabases } from '../helpers/databases.ts';
import { createTestBed, provision, type Infrastructure, type TestBed } from '../helpers/orchestrator.ts';

/** A test stand-in for the in-built Proxmox extension, run in-process. */
function fakeProxmox(calls: Array<{ action: string; payload: Payload }>) {
  const power = new Map<string, string>();
  const remember = (action: string) => async (payload: Payload): Promise<JsonObject> => {
    calls.push({ action, payload });
    const name = payload.virtualmachinename ?? '';
    if (action === 'create' || action === 'start') power.set(name, 'poweron');
    if (action === 'stop') power.set(name, 'poweroff');
    if (action === 'prepare') return { details: { proxmox_vmid: '103' } };
    if (action === 'status') return { status: 'success', power_state: power.get(name) ?? 'poweroff' };
    if (action === 'createsnapshot') return { status: 'success', message: `snapshot ${String(payload.parameters?.snap_name)} created` };
    return { status: 'success' };
  };
  return defineExtension({
    name: 'Proxmox',
    defaultTimeoutSeconds: 600,
    handlers: Object.fromEntries(['prepare', 'create', 'start', 'stop', 'reboot', 'delete', 'status', 'createsnapshot'].map((action) => [action, remember(action)])),
  });
}

for (const backend of testDatabases()) {
  describe(`extensions framework on ${backend.name}`, () => {
    let bed: TestBed;
    let infra: Infrastructure;
    let dispose: () => Promise<void>;
    const inProcessCalls: Array<{ action: string; payload: Payload }> = [];
    let alice: Caller;
    let bob: Caller;

    before(async () => {
      const created = await backend.create();
      dispose = created.dispose;
      bed = await createTestBed(created.config, { builtinExtensions: { Proxmox: fakeProxmox(inProcessCalls) } });
      infra = await provision(bed.orchestrator, bed.admin);
      const { iam } = bed.orchestrator;
      await iam.createAccount(bed.admin, { username: 'alice', password: 'alice-pw', firstName: 'A', lastName: 'L' });
      await iam.createAccount(bed.admin, { username: 'bob', password: 'bob-pw', firstName: 'B', lastName: 'O' });
      alice = await iam.login('alice', 'alice-pw');
      bob = await iam.login('bob', 'bob-pw');
    });
    after(async () => {
      // Also when `before` failed half-way: the database (schema) must not leak.
      await bed?.dispose();
      await dispose?.();
    });

    test('the in-built extensions are seeded as CloudStack seeds them', async () => {
      const { items } = await bed.orchestrator.extensions.listExtensions(bed.admin, {});
      const byName = new Map(items.map((extension) => [extension.name, extension]));
      const proxmox = byName.get('Proxmox');
      assert.equal(proxmox?.state, 'Disabled');
      assert.equal(proxmox?.isUserDefined, false);
      assert.equal(proxmox?.orchestratorRequiresPrepareVm, true);
      assert.equal(proxmox?.path, join(bed.extensionsRoot, 'Proxmox/proxmox.sh'));
      assert.equal(proxmox?.description, 'Sample extension for Proxmox written in bash');
      assert.equal(byName.get('HyperV')?.state, 'Disabled');
      assert.equal(byName.get('HyperV')?.orchestratorRequiresPrepareVm, false);
      assert.equal(byName.get('HyperV')?.path, join(bed.extensionsRoot, 'HyperV/hyperv.py'));
      assert.equal(byName.get('MaaS')?.state, 'Enabled');
      assert.equal(byName.get('MaaS')?.path, join(bed.extensionsRoot, 'MaaS/maas.py'));
      const actions = await bed.orchestrator.extensions.listCustomActions(bed.admin, { extensionId: proxmox?.id });
      assert.deepEqual(actions.items.map((action) => action.name).sort(), ['CreateSnapshot', 'DeleteSnapshot', 'ListSnapshots', 'RestoreSnapshot']);
      const create = actions.items.find((action) => action.name === 'CreateSnapshot');
      assert.deepEqual(create?.allowedRoleTypes, ['Admin', 'ResourceAdmin', 'DomainAdmin', 'User']);
      assert.equal(create?.timeout, 60);
      assert.equal(create?.enabled, true);
      assert.equal(create?.successMessage, 'Snapshot created for {{resourceName}} in {{extensionName}}');
      assert.deepEqual(create?.parameters.map((p) => `${p.name}:${p.type}:${p.required}`), ['snap_name:STRING:true', 'snap_description:STRING:false', 'snap_save_memory:BOOLEAN:false']);
      const hyperv = await bed.orchestrator.extensions.listCustomActions(bed.admin, { extensionId: byName.get('HyperV')?.id });
      assert.equal(hyperv.count, 6);
      const maas = await bed.orchestrator.extensions.listCustomActions(bed.admin, { extensionId: byName.get('MaaS')?.id });
      assert.equal(maas.count, 0);
    });

    test('user-defined extensions: path rules, scaffold, path readiness, duplicates, delete rules', async () => {
      const { extensions } = bed.orchestrator;
      await assert.rejects(extensions.createExtension(bed.admin, { name: 'evil', type: 'Orchestrator', path: 'evil/../../x.sh' }), /must not contain/);
      await assert.rejects(extensions.createExtension(bed.admin, { name: 'bad', type: 'Random' }), /Invalid type specified - Random/);
      await assert.rejects(extensions.createExtension(alice, { name: 'mine', type: 'Orchestrator' }), { kind: 'permission-denied' });
      const scaffolded = await extensions.createExtension(bed.admin, { name: 'My Ext', type: 'Orchestrator', details: { abc: 'xyz' } });
      assert.equal(scaffolded.path, join(bed.extensionsRoot, 'my_ext/my_ext.sh'));
      assert.equal(scaffolded.state, 'Enabled');
      assert.equal(scaffolded.pathReady, true);
      assert.deepEqual(scaffolded.details, { abc: 'xyz' });
      assert.ok(existsSync(scaffolded.path));
      await assert.rejects(extensions.createExtension(bed.admin, { name: 'My Ext', type: 'Orchestrator' }), /Extension by name already exists/);
      // A non-.sh entry point that does not exist cannot be enabled; the row stays, Disabled.
      await assert.rejects(extensions.createExtension(bed.admin, { name: 'pyext', type: 'Orchestrator', path: 'run.py' }), /Failed to enable extension: pyext as its path is not ready/);
      const pyext = (await extensions.listExtensions(bed.admin, { name: 'pyext' })).items[0];
      assert.equal(pyext?.state, 'Disabled');
      assert.equal(pyext?.pathReady, false);
      await mkdir(join(bed.extensionsRoot, 'pyext'), { recursive: true });
      await writeFile(join(bed.extensionsRoot, 'pyext/run.py'), '#!/bin/sh\necho {}\n', { mode: 0o755 });
      const enabled = await extensions.updateExtension(bed.admin, pyext?.id ?? '', { state: 'Enabled', details: { bca: 'zyx' } });
      assert.equal(enabled.state, 'Enabled');
      assert.equal(enabled.pathReady, true);
      assert.deepEqual(enabled.details, { bca: 'zyx' });
      const proxmox = (await extensions.listExtensions(bed.admin, { name: 'Proxmox' })).items[0];
      await assert.rejects(extensions.deleteExtension(bed.admin, proxmox?.id ?? ''), /System extension can not be deleted/);
      await assert.rejects(extensions.deleteExtension(bed.admin, infra.extensionId), /associated resources/);
      await extensions.deleteExtension(bed.admin, pyext?.id ?? '');
      assert.equal((await extensions.listExtensions(bed.admin, { name: 'pyext' })).count, 0);
      await extensions.deleteExtension(bed.admin, scaffolded.id, { cleanup: true });
      assert.equal(existsSync(join(bed.extensionsRoot, 'my_ext')), false, 'cleanup removes the extension directory');
    });

    test('path readiness follows the entry point (periodic check), and hosts follow their extension', async () => {
      const { extensions, infrastructure } = bed.orchestrator;
      const entry = join(bed.extensionsRoot, 'testext/testext.cjs');
      const moved = `${entry}.away`;
      await rename(entry, moved);
      try {
        await infrastructure.checkHostHealth();
        assert.equal((await extensions.getExtension(bed.admin, infra.extensionId)).pathReady, false);
        assert.equal((await infrastructure.listHosts(bed.admin, { id: infra.hostIds[0] })).items[0]?.state, 'Down');
      } finally {
        await rename(moved, entry);
      }
      await infrastructure.checkHostHealth();
      assert.equal((await extensions.getExtension(bed.admin, infra.extensionId)).pathReady, true);
      assert.equal((await infrastructure.listHosts(bed.admin, { id: infra.hostIds[0] })).items[0]?.state, 'Up');
    });

    test('one extension per External cluster', async () => {
      const { extensions } = bed.orchestrator;
      const other = (await extensions.listExtensions(bed.admin, { name: 'MaaS' })).items[0];
      await assert.rejects(
        extensions.registerExtension(bed.admin, { extensionId: other?.id ?? '', resourceId: infra.clusterId, resourceType: 'Cluster' }),
        /An extension is already registered with this cluster/,
      );
      await assert.rejects(
        extensions.registerExtension(bed.admin, { extensionId: infra.extensionId, resourceId: infra.clusterId, resourceType: 'Cluster' }),
        /is already registered with this cluster/,
      );
      const info = await extensions.getExtension(bed.admin, infra.extensionId);
      assert.deepEqual(info.resources.map((r) => [r.id, r.type, r.details.site]), [[infra.clusterId, 'Cluster', 'dc1']]);
    });

    test('custom actions: typed parameters, messages, role masks and ownership', async () => {
      const { extensions, instances, jobs } = bed.orchestrator;
      const action = await extensions.addCustomAction(bed.admin, {
        extensionId: infra.extensionId,
        name: 'echoparams',
        parameters: [{ name: 'Name', type: 'STRING', validationFormat: 'NONE', required: true }],
        successMessage: 'Successfully completed {{actionName}}',
        details: { mode: 'x' },
      });
      assert.equal(action.enabled, false);
      assert.equal(action.timeout, 3);
      assert.deepEqual(action.allowedRoleTypes, ['Admin']);
      await assert.rejects(extensions.addCustomAction(bed.admin, { extensionId: infra.extensionId, name: 'echoparams' }), /Action by name already exists/);
      await assert.rejects(extensions.addCustomAction(bed.admin, { extensionId: infra.extensionId, name: 'bad/name' }), /Invalid action name/);
      await assert.rejects(extensions.addCustomAction(bed.admin, { extensionId: infra.extensionId, name: 'x', allowedRoleTypes: ['Root'] }), /Invalid role specified - Root/);
      const updated = await extensions.updateCustomAction(bed.admin, action.id, {
        enabled: true,
        allowedRoleTypes: ['Admin', 'User'],
        parameters: [
          { name: 'Name', type: 'STRING', required: true },
          { name: 'COUNT', type: 'NUMBER', required: false, valueOptions: '10,100,1000' },
        ],
      });
      assert.equal(updated.enabled, true);
      assert.deepEqual(updated.parameters[1]?.valueOptions, ['10', '100', '1000']);

      // Alice deploys her own instance on a shared network; she cannot use the admin's isolated one.
      const sharedOffering = await bed.orchestrator.infrastructure.createNetworkOffering(bed.admin, { name: 'shared', displayText: 'shared', guestIpType: 'Shared' });
      const shared = await bed.orchestrator.infrastructure.createNetwork(bed.admin, { name: 'shared', zoneId: infra.zoneId, networkOfferingId: sharedOffering.id, vlan: 200, gateway: '10.2.0.1', netmask: '255.255.255.0' });
      await assert.rejects(instances.deploy(alice, { zoneId: infra.zoneId, templateId: infra.templateId, serviceOfferingId: infra.offeringId, networkIds: [infra.networkId] }), /Unable to find network/);
      const { instance, job } = await instances.deploy(alice, { zoneId: infra.zoneId, templateId: infra.templateId, serviceOfferingId: infra.offeringId, networkIds: [shared.id] });
      assert.equal((await jobs.wait(alice, job.id)).status, 'succeeded');

      const run = async (caller: Caller, parameters: Record<string, string>, actionId = action.id) => jobs.wait(caller, (await extensions.runCustomAction(caller, { customActionId: actionId, resourceId: instance.id, parameters })).id);
      const ok = await run(alice, { Name: 'hello', COUNT: '100' });
      assert.equal(ok.status, 'succeeded', JSON.stringify(ok.error));
      assert.deepEqual(ok.result, { id: action.id, name: 'echoparams', success: true, result: { message: 'Successfully completed echoparams', details: `hello for ${instance.instanceName}` } });
      const calls = await bed.extension.calls();
      const last = calls.at(-1)?.payload as Record<string, unknown>;
      assert.equal(last.action, 'echoparams');
      assert.deepEqual(last.parameters, { Name: 'hello', COUNT: 100 });
      assert.deepEqual((last.externaldetails as Record<string, unknown>).action, { mode: 'x' });
      assert.equal((last.caller as Record<string, string>).name, 'alice');
      assert.equal(calls.at(-1)?.timeout, '3');

      const missing = await run(alice, { COUNT: '100' });
      assert.equal(missing.status, 'failed');
      assert.match(missing.error?.message ?? '', /Missing or empty required parameter: Name/);
      const badOption = await run(alice, { Name: 'x', COUNT: '7' });
      assert.match(badOption.error?.message ?? '', /Invalid value for parameter 'COUNT': 7/);
      // Bob is a User too, but not the owner.
      const notOwner = await run(bob, { Name: 'x' });
      assert.equal(notOwner.status, 'failed');
      assert.match(notOwner.error?.message ?? '', /Internal error running action/);
      // A role outside the mask gets the generic error.
      await extensions.updateCustomAction(bed.admin, action.id, { allowedRoleTypes: ['Admin'] });
      const masked = await run(alice, { Name: 'x' });
      assert.match(masked.error?.message ?? '', /Internal error running action/);
      assert.equal((await extensions.listCustomActions(alice, { extensionId: infra.extensionId })).count, 0, 'users only list actions whose mask includes them');
      assert.equal((await extensions.listCustomActions(bed.admin, { resourceId: instance.id })).count, 1);

      // An action the executable does not handle: the job succeeds, the action fails.
      const invalid = await extensions.addCustomAction(bed.admin, { extensionId: infra.extensionId, name: 'invalidaction', errorMessage: 'Failed {{actionName}}', enabled: true });
      const failed = await run(bed.admin, {}, invalid.id);
      assert.equal(failed.status, 'succeeded');
      assert.equal((failed.result as { success: boolean }).success, false);
      assert.equal((failed.result as { result: { message: string } }).result.message, 'Failed invalidaction');
    });

    test('in-built extension runs in-process with the same payload objects once the admin enables it', async () => {
      const { extensions, infrastructure, templates, instances, jobs } = bed.orchestrator;
      const proxmox = (await extensions.listExtensions(bed.admin, { name: 'Proxmox' })).items[0];
      assert.ok(proxmox);
      const pod = (await infrastructure.listPods(bed.admin, {})).items[0];
      const cluster = await infrastructure.addCluster(bed.admin, { name: 'pve', zoneId: infra.zoneId, podId: pod?.id ?? '', hypervisor: 'External', extensionId: proxmox.id });
      const host = await infrastructure.addHost(bed.admin, {
        zoneId: infra.zoneId,
        podId: pod?.id ?? '',
        clusterId: cluster.id,
        hypervisor: 'External',
        url: 'https://pve.example.test',
        externalDetails: { url: 'https://pve.example.test', user: 'root@pam', token: 'cs', secret: 'pve-secret', node: 'pve1', network_bridge: 'vmbr1' },
      });
      assert.equal(host.state, 'Down', 'a host of a disabled extension is not Up');
      const template = await templates.registerTemplate(bed.admin, { name: 'pve-tpl', displayText: 'pve', format: 'External', hypervisor: 'External', url: 'http://dummy', extensionId: proxmox.id, externalDetails: { template_type: 'template', template_id: '101' } });
      const early = await instances.deploy(bed.admin, { zoneId: infra.zoneId, templateId: template.id, serviceOfferingId: infra.offeringId, networkIds: [infra.networkId] });
      const refused = await jobs.wait(bed.admin, early.job.id);
      assert.equal(refused.status, 'failed');
      assert.equal(refused.error?.kind, 'insufficient-capacity');

      await extensions.updateExtension(bed.admin, proxmox.id, { state: 'Enabled' });
      await infrastructure.checkHostHealth();
      assert.equal((await infrastructure.listHosts(bed.admin, { id: host.id })).items[0]?.state, 'Up');
      const started = await jobs.wait(bed.admin, (await instances.start(bed.admin, early.instance.id)).id);
      assert.equal(started.status, 'succeeded', JSON.stringify(started.error));
      assert.deepEqual(inProcessCalls.map((call) => call.action), ['prepare', 'create']);
      const create = inProcessCalls[1]?.payload;
      assert.equal(create?.['cloudstack.vm.details']?.details?.proxmox_vmid, '103');
      assert.equal(create?.externaldetails?.host?.node, 'pve1');
      assert.equal(create?.externaldetails?.virtualmachine?.template_id, '101');
      const snapshot = (await extensions.listCustomActions(bed.admin, { extensionId: proxmox.id, name: 'CreateSnapshot' })).items[0];
      const result = await jobs.wait(bed.admin, (await extensions.runCustomAction(bed.admin, { customActionId: snapshot?.id ?? '', resourceId: early.instance.id, parameters: { snap_name: 'before', snap_save_memory: 'true' } })).id);
      assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
      const outcome = result.result as { success: boolean; result: { message: string; details: string } };
      assert.equal(outcome.success, true);
      assert.equal(outcome.result.message, `Snapshot created for ${early.instance.instanceName} in Proxmox`);
      assert.deepEqual(inProcessCalls.at(-1)?.payload.parameters, { snap_name: 'before', snap_save_memory: true });
      assert.equal(inProcessCalls.at(-1)?.payload.action, 'CreateSnapshot');
    });
  });
}
