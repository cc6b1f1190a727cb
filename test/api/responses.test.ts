// Response mappers emit only declared fields (listApis stays truthful) with CloudStack's names and formats.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { omitEmpty, serialize } from '../../src/api/envelope.ts';
import { formatCloudStackDate } from '../../src/api/signing.ts';
import type { ResponseField } from '../../src/api/registry.ts';
import * as catalog from '../../src/api/responses/catalog.ts';
import type { CustomAction, ExtensionInfo, Host, Instance, Template } from '../../src/orchestrator/index.ts';

const created = '2026-11-26T01:02:03.456Z';
const owner = { accountId: 'acc', accountName: 'admin', domainId: 'dom', domainName: 'ROOT' };

const instance: Instance = {
  id: 'vm-1', name: 'web', displayName: 'web', instanceName: 'i-2-3-VM', state: 'Running', powerState: 'PowerOn', hypervisor: 'External',
  zoneId: 'z', zoneName: 'zone', hostId: 'h', hostName: 'host', lastHostId: 'h', clusterId: 'c', templateId: 't', templateName: 'tpl',
  templateDisplayText: 'tpl', extensionId: 'e', extensionName: 'Proxmox', serviceOfferingId: 'so', serviceOfferingName: 'small',
  cpuNumber: 2, cpuSpeed: 1000, memory: 1024, ...owner, userId: 'u', userName: 'admin', details: { 'External:vm_name': 'web' },
  nics: [{ id: 'n', networkId: 'net', networkName: 'guest', deviceId: 0, macAddress: '02:00:00:00:00:01', ipAddress: '10.0.0.5', ip6Address: null,
    netmask: '255.255.255.0', gateway: '10.0.0.1', isDefault: true, broadcastUri: 'vlan://100', isolationUri: 'vlan://100', trafficType: 'Guest', type: 'L2' }],
  created,
};
const host: Host = {
  id: 'h', name: 'pve1', zoneId: 'z', zoneName: 'zone', podId: 'p', podName: 'pod', clusterId: 'c', clusterName: 'cl', hypervisor: 'External',
  type: 'Routing', state: 'Up', resourceState: 'Enabled', ipAddress: 'External', url: 'https://pve1', guid: 'External:x', hostTags: ['a', 'b'],
  externalDetails: { url: 'https://pve1:8006', secret: '******' }, extensionId: 'e', extensionName: 'Proxmox', cpuNumber: 0, memoryTotal: 0,
  lastPinged: null, created,
};
const template: Template = {
  id: 't', name: 'tpl', displayText: 'tpl', format: 'QCOW2', hypervisor: 'External', url: 'http://x', zoneId: null, zoneName: null, osTypeId: null,
  extensionId: 'e', extensionName: 'Proxmox', externalDetails: { template_type: 'template' }, details: {}, isPublic: true, isFeatured: false,
  isExtractable: false, passwordEnabled: false, requiresHvm: false, isReady: true, status: 'Download Complete', templateType: 'USER', ...owner, created,
};
const extension: ExtensionInfo = {
  id: 'e', name: 'Proxmox', description: 'd', type: 'Orchestrator', path: '/x/Proxmox/proxmox.sh', relativePath: 'Proxmox/proxmox.sh',
  pathReady: true, isUserDefined: false, orchestratorRequiresPrepareVm: false, state: 'Enabled', details: {},
  resources: [{ id: 'c', name: 'cl', type: 'Cluster', details: { k: 'v' }, created }], created,
};
const action: CustomAction = {
  id: 'a', name: 'snap', description: '', extensionId: 'e', extensionName: 'Proxmox', resourceType: 'VirtualMachine', allowedRoleTypes: ['Admin'],
  successMessage: null, errorMessage: null, timeout: 3, enabled: false, details: {},
  parameters: [{ name: 'COUNT', type: 'NUMBER', validationFormat: 'NONE', valueOptions: ['10', '100'], required: false }], created,
};

function assertDeclared(fields: ResponseField[], value: Record<string, unknown>, where: string): void {
  const declared = new Map(fields.map((field) => [field.name, field]));
  for (const [key, field] of Object.entries(value)) {
    assert.ok(declared.has(key), `${where}.${key} is not declared in the listApis response fields`);
    const nested = declared.get(key)!.response;
    if (nested && Array.isArray(field)) for (const item of field) assertDeclared(nested, item as Record<string, unknown>, `${where}.${key}`);
  }
}

describe('response objects', () => {
  it('declare every field they emit', () => {
    assertDeclared(catalog.virtualMachineResponse.fields, catalog.virtualMachineResponse.map(instance), 'virtualmachine');
    assertDeclared(catalog.hostResponse.fields, catalog.hostResponse.map(host), 'host');
    assertDeclared(catalog.templateResponse.fields, catalog.templateResponse.map(template), 'template');
    assertDeclared(catalog.extensionResponse.fields, catalog.extensionResponse.map(extension), 'extension');
    assertDeclared(catalog.customActionResponse.fields, catalog.customActionResponse.map(action), 'extensioncustomaction');
  });

  it('use CloudStack names, dates and omit nulls', () => {
    const vm = omitEmpty(catalog.virtualMachineResponse.map(instance)) as Record<string, unknown>;
    assert.equal(vm.instancename, 'i-2-3-VM');
    assert.equal(vm.created, '2026-11-26T01:02:03+0000');
    assert.equal(vm.hypervisor, 'External');
    assert.deepEqual((vm.nic as Array<Record<string, unknown>>)[0]!.macaddress, '02:00:00:00:00:01');
    assert.equal('ip6address' in (vm.nic as Array<Record<string, unknown>>)[0]!, false);
    const mappedHost = omitEmpty(catalog.hostResponse.map(host)) as Record<string, unknown>;
    assert.equal(mappedHost.hosttags, 'a,b');
    assert.equal('lastpinged' in mappedHost, false);
    assert.deepEqual(mappedHost.externaldetails, { url: 'https://pve1:8006', secret: '******' });
    const mappedAction = catalog.customActionResponse.map(action);
    assert.deepEqual(mappedAction.allowedroletypes, ['Admin']);
    assert.deepEqual((mappedAction.parameters as Array<Record<string, unknown>>)[0], { name: 'COUNT', type: 'NUMBER', validationformat: 'NONE', valueoptions: ['10', '100'], required: false });
    assert.deepEqual(catalog.extensionResponse.map(extension).resources, [{ id: 'c', name: 'cl', type: 'Cluster', details: { k: 'v' }, created: '2026-11-26T01:02:03+0000' }]);
  });
});

describe('JSON envelopes', () => {
  const json = (body: Record<string, unknown>) => serialize('json', 'listresponse', body).payload;

  it('leave out null and undefined fields at every depth, keeping null array elements as JSON does', () => {
    const body = { count: 1, item: [{ a: 'x', b: null, c: undefined, nested: { d: null, e: 0 } }], list: [1, null] };
    assert.equal(json(body), '{"listresponse":{"count":1,"item":[{"a":"x","nested":{"e":0}}],"list":[1,null]}}');
    assert.equal(json({ a: 'x', b: undefined }), '{"listresponse":{"a":"x"}}');
  });

  it('are not confused by strings that look like null fields', () => {
    const tricky = { note: 'say "k":null here', gone: null };
    assert.equal(json(tricky), '{"listresponse":{"note":"say \\"k\\":null here"}}');
    assert.deepEqual(JSON.parse(json({ note: '":null' })), { listresponse: { note: '":null' } });
  });

  it('map instances without nulls, so a page needs one serialization pass', () => {
    const stopped: Instance = { ...instance, hostId: null, hostName: null, clusterId: null, nics: instance.nics.map((nic) => ({ ...nic, ipAddress: null, netmask: null, gateway: null })) };
    for (const vm of [instance, stopped]) assert.doesNotMatch(JSON.stringify(catalog.virtualMachineResponse.map(vm)), /:null/);
    const mapped = JSON.parse(json({ virtualmachine: [catalog.virtualMachineResponse.map(stopped)] })) as { listresponse: { virtualmachine: Array<Record<string, unknown>> } };
    const vm = mapped.listresponse.virtualmachine[0]!;
    assert.equal('hostid' in vm || 'hostname' in vm || 'clusterid' in vm, false);
    assert.equal(vm.lasthostid, 'h');
    assert.deepEqual(Object.keys((vm.nic as Array<Record<string, unknown>>)[0]!).includes('ipaddress'), false);
  });
});

describe('CloudStack dates', () => {
  it('format stored timestamps and any other date input the same way', () => {
    assert.equal(formatCloudStackDate('2026-11-26T01:02:03.456Z'), '2026-11-26T01:02:03+0000');
    assert.equal(formatCloudStackDate('2026-11-26T01:02:03Z'), '2026-11-26T01:02:03+0000');
    assert.equal(formatCloudStackDate('2026-11-26T03:02:03.456+02:00'), '2026-11-26T01:02:03+0000');
    assert.equal(formatCloudStackDate(new Date('2026-11-26T01:02:03.456Z')), '2026-11-26T01:02:03+0000');
    assert.equal(formatCloudStackDate(Date.UTC(2026, 10, 26, 1, 2, 3)), '2026-11-26T01:02:03+0000');
    assert.throws(() => formatCloudStackDate('not a date'), RangeError);
  });
});
