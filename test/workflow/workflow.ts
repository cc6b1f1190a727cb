// The documented workflow of the in-built extensions (orchestrator.md §19), walked through a real CloudStack
// client: enable extension → External cluster bound to it → host with details → templates with external
// details → deploy → stop/start/reboot → custom actions → destroy/expunge. Every step asserts the CloudStack
// field names clients read, and checks in the emulator that the action really happened.
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { emulatorHostDetails, sandboxTemplateDetails } from '../../src/sandbox/seed.ts';
import type { SandboxEmulators } from '../../src/sandbox/emulators.ts';
import type { Json, Params, WorkflowClient } from './clients.ts';

export type BuiltinKind = 'Proxmox' | 'HyperV' | 'MaaS';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Fails unless every named field is present (not undefined) in the object. */
export function assertFields(object: Json, fields: readonly string[], what: string): void {
  const absent = fields.filter((field) => object[field] === undefined);
  assert.deepEqual(absent, [], `${what} lacks ${absent.join(', ')}: ${JSON.stringify(object)}`);
}

/** `{count, <name>: [...]}` of a list answer; the list key is exactly `name`. */
function listOf(answer: Json, name: string): Json[] {
  if (Object.keys(answer).length === 0) return [];
  assert.equal(typeof answer.count, 'number', `list answer lacks count: ${JSON.stringify(answer)}`);
  const items = answer[name];
  assert.ok(Array.isArray(items), `list answer lacks ${name}[]: ${Object.keys(answer).join(',')}`);
  assert.equal(items.length, Math.min(Number(answer.count), items.length));
  return items as Json[];
}

/** externaldetails[0].k=v (the map syntax every CloudStack client sends). */
function mapParam(name: string, values: Record<string, unknown>): Params {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [`${name}[0].${key}`, String(value)]));
}

export interface SharedInfrastructure {
  zoneId: string;
  podId: string;
  offeringId: string;
  networkId: string;
  offeringMemory: number;
}

/** Zone, pod, offering and a VLAN network — created once per server through the client under test. */
export async function createSharedInfrastructure(client: WorkflowClient): Promise<SharedInfrastructure> {
  const zone = (await client.sync('createZone', { name: `${client.name}-zone`, networktype: 'Advanced', dns1: '8.8.8.8', internaldns1: '10.0.0.2' })).zone as Json;
  assertFields(zone, ['id', 'name', 'networktype', 'allocationstate'], 'zone');
  const pod = (await client.sync('createPod', { name: 'pod1', zoneid: String(zone.id), gateway: '10.0.0.1', netmask: '255.255.255.0', startip: '10.0.0.10', endip: '10.0.0.50' })).pod as Json;
  assertFields(pod, ['id', 'name', 'zoneid'], 'pod');
  const offering = (await client.sync('createServiceOffering', { name: 'tiny', displaytext: 'Tiny', cpunumber: '1', cpuspeed: '1000', memory: '512' })).serviceoffering as Json;
  assertFields(offering, ['id', 'name', 'cpunumber', 'cpuspeed', 'memory'], 'serviceoffering');
  const networkOffering = (await client.sync('createNetworkOffering', { name: 'vlan-offering', displaytext: 'VLAN', guestiptype: 'Isolated', traffictype: 'Guest', specifyvlan: 'true' })).networkoffering as Json;
  const network = (await client.sync('createNetwork', { name: 'vlan-200', displaytext: 'vlan 200', zoneid: String(zone.id), networkofferingid: String(networkOffering.id), vlan: '200', gateway: '10.2.0.1', netmask: '255.255.255.0' })).network as Json;
  assertFields(network, ['id', 'name', 'zoneid', 'vlan', 'broadcasturi', 'gateway', 'netmask'], 'network');
  return { zoneId: String(zone.id), podId: String(pod.id), offeringId: String(offering.id), networkId: String(network.id), offeringMemory: Number(offering.memory) };
}

const VM_FIELDS = [
  'id', 'name', 'displayname', 'instancename', 'state', 'account', 'domain', 'domainid', 'created', 'zoneid', 'zonename', 'hostid', 'hostname', 'hypervisor',
  'templateid', 'templatename', 'serviceofferingid', 'serviceofferingname', 'cpunumber', 'cpuspeed', 'memory', 'nic',
] as const;
const NIC_FIELDS = ['id', 'networkid', 'networkname', 'ipaddress', 'netmask', 'gateway', 'macaddress', 'isdefault', 'traffictype', 'broadcasturi'] as const;

function assertVm(vm: Json, expected: { state: string; hostId?: string; templateId?: string; networkId: string }): void {
  assertFields(vm, VM_FIELDS, 'virtualmachine');
  assert.match(String(vm.id), UUID);
  assert.match(String(vm.instancename), /^i-\d+-\d+-VM$/);
  assert.equal(vm.state, expected.state);
  assert.equal(vm.hypervisor, 'External');
  if (expected.hostId) assert.equal(vm.hostid, expected.hostId);
  if (expected.templateId) assert.equal(vm.templateid, expected.templateId);
  const nics = vm.nic as Json[];
  assert.equal(nics.length, 1);
  assertFields(nics[0]!, NIC_FIELDS, 'nic');
  assert.equal(nics[0]!.networkid, expected.networkId);
  assert.equal(nics[0]!.isdefault, true);
  assert.equal(nics[0]!.broadcasturi, 'vlan://200');
  assert.match(String(nics[0]!.macaddress), /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
}

/** Emulator-side power state of the instance, as the remote system sees it ('on' | 'off' | 'paused' | 'absent'). */
export type RemotePower = 'on' | 'off' | 'paused' | 'absent';

async function proxmoxState(emulators: SandboxEmulators): Promise<Json> {
  const url = new URL('/_emulator/state', emulators.proxmox.url);
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: emulators.proxmox.certificatePem }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(JSON.parse(body) as Json));
    });
    req.on('error', reject);
    req.end();
  });
}

async function proxmoxVm(emulators: SandboxEmulators, name: string): Promise<Json | undefined> {
  const state = await proxmoxState(emulators);
  const vms = Object.values(state.nodes as Record<string, { vms: Json[] }>).flatMap((node) => node.vms);
  return vms.find((vm) => vm.name === name);
}

/**
 * The name the remote system knows the instance by: Proxmox takes `vm_name` from the external details; the
 * Hyper-V extension names VMs `<internal name>-<uuid>`; MAAS machines keep their own hostnames.
 */
export interface RemoteVm {
  readonly kind: BuiltinKind;
  readonly name: string;
}

export async function remotePower(emulators: SandboxEmulators, remote: RemoteVm): Promise<RemotePower> {
  const { kind } = remote;
  if (kind === 'Proxmox') {
    const found = await proxmoxVm(emulators, remote.name);
    if (!found) return 'absent';
    return found.status === 'running' ? 'on' : 'off';
  }
  if (kind === 'HyperV') {
    const found = emulators.hyperv.host.vms.find((candidate) => candidate.name === remote.name);
    if (!found) return 'absent';
    return found.state === 'Running' ? 'on' : found.state === 'Paused' ? 'paused' : 'off';
  }
  const machines = [...emulators.maas.store.machines.values()].filter((machine) => machine.owner !== null);
  // MAAS machines are not named after the instance: the sandbox has one deployed instance at a time per test.
  if (machines.length === 0) return 'absent';
  return machines[0]!.powerState === 'on' ? 'on' : 'off';
}

/** Snapshot names the emulator holds for the instance (Proxmox snapshots / Hyper-V checkpoints). */
async function remoteSnapshots(emulators: SandboxEmulators, remote: RemoteVm): Promise<string[]> {
  if (remote.kind === 'Proxmox') {
    const found = await proxmoxVm(emulators, remote.name);
    return ((found?.snapshots as Json[] | undefined) ?? []).map((snapshot) => String(snapshot.name)).filter((name) => name !== 'current');
  }
  const found = emulators.hyperv.host.vms.find((candidate) => candidate.name === remote.name);
  return (found?.checkpoints ?? []).map((checkpoint) => checkpoint.name);
}

export interface WorkflowContext {
  client: WorkflowClient;
  emulators: SandboxEmulators;
  shared: SharedInfrastructure;
}

/** Steps 1–4: enable the extension, External cluster bound to it, host with details, templates. */
async function prepareExtension(context: WorkflowContext, kind: BuiltinKind) {
  const { client, emulators, shared } = context;
  const extension = listOf(await client.sync('listExtensions', { name: kind }), 'extension')[0]!;
  assertFields(extension, ['id', 'name', 'type', 'path', 'pathready', 'isuserdefined', 'orchestratorrequirespreparevm', 'state', 'created'], 'extension');
  assert.equal(extension.type, 'Orchestrator');
  assert.equal(extension.isuserdefined, false);
  // The documented starting state: Proxmox and HyperV wait for the admin, MaaS is enabled.
  assert.equal(extension.state, kind === 'MaaS' ? 'Enabled' : 'Disabled');
  if (extension.state !== 'Enabled') {
    const enabled = (await client.sync('updateExtension', { id: String(extension.id), state: 'Enabled' })).extension as Json;
    assert.equal(enabled.state, 'Enabled');
  }

  const clusters = (await client.sync('addCluster', {
    clustername: `${kind.toLowerCase()}-cluster`,
    clustertype: 'CloudManaged',
    hypervisor: 'External',
    podid: shared.podId,
    zoneid: shared.zoneId,
    extensionid: String(extension.id),
  })).cluster as Json[];
  assert.equal(clusters.length, 1);
  const cluster = clusters[0]!;
  assertFields(cluster, ['id', 'name', 'hypervisortype', 'clustertype', 'zoneid', 'podid', 'allocationstate', 'extensionid', 'extensionname'], 'cluster');
  assert.equal(cluster.hypervisortype, 'External');
  assert.equal(cluster.extensionid, extension.id);
  const withResources = listOf(await client.sync('listExtensions', { id: String(extension.id), details: 'all' }), 'extension')[0]!;
  assert.ok((withResources.resources as Json[]).some((resource) => resource.id === cluster.id && resource.type === 'Cluster'), 'the cluster is registered to the extension');

  const all = emulatorHostDetails(emulators);
  const details = kind === 'Proxmox' ? all.proxmox[0]!.details : kind === 'HyperV' ? all.hyperv : all.maas;
  const hosts = (await client.sync('addHost', {
    hypervisor: 'External',
    zoneid: shared.zoneId,
    podid: shared.podId,
    clusterid: String(cluster.id),
    url: String(details.url ?? details.endpoint),
    username: 'External',
    password: 'External',
    ...mapParam('externaldetails', details),
  })).host as Json[];
  const host = hosts[0]!;
  assertFields(host, ['id', 'name', 'state', 'type', 'hypervisor', 'zoneid', 'podid', 'clusterid', 'clustername', 'resourcestate', 'extensionid', 'extensionname'], 'host');
  assert.equal(host.hypervisor, 'External');
  assert.equal(host.clusterid, cluster.id);
  // Secrets are stored but never returned.
  const shown = JSON.stringify(host);
  for (const secret of [details.secret, details.password, details.apikey].filter((value): value is string => typeof value === 'string')) {
    assert.ok(!shown.includes(secret), 'host answer must not carry a secret');
  }

  const templateDetails = sandboxTemplateDetails(emulators);
  const wanted = Object.entries(templateDetails).filter(([, template]) => template.extension === kind);
  const templates: Json[] = [];
  for (const [key, template] of wanted) {
    const registered = (await client.sync('registerTemplate', {
      name: key,
      displaytext: `${key} registered by ${client.name}`,
      format: 'External',
      hypervisor: 'External',
      url: 'http://templates.invalid/unused',
      zoneid: shared.zoneId,
      extensionid: String(extension.id),
      ispublic: 'true',
      ...mapParam('externaldetails', template.details),
    })).template as Json[];
    const made = registered[0]!;
    assertFields(made, ['id', 'name', 'displaytext', 'format', 'hypervisor', 'isready', 'ispublic', 'zoneid', 'extensionid', 'extensionname'], 'template');
    assert.equal(made.hypervisor, 'External');
    assert.equal(made.extensionid, extension.id);
    templates.push(made);
  }
  const listed = listOf(await client.sync('listTemplates', { templatefilter: 'all', extensionid: String(extension.id) }), 'template');
  assert.deepEqual(listed.map((template) => template.id).sort(), templates.map((template) => template.id).sort());
  return { extension, cluster, host, templates };
}

async function customAction(client: WorkflowClient, actions: Json[], name: string, vm: Json, parameters: Record<string, string> = {}): Promise<Json> {
  const action = actions.find((candidate) => candidate.name === name);
  assert.ok(action, `custom action ${name} is seeded`);
  const answer = await client.async('runCustomAction', { customactionid: String(action.id), resourceid: String(vm.id), ...mapParam('parameters', parameters) });
  const result = answer.customactionresult as Json;
  assertFields(result, ['id', 'name', 'success', 'result'], 'customactionresult');
  assert.equal(result.name, name);
  assertFields(result.result as Json, ['message', 'details'], 'customactionresult.result');
  assert.equal(result.success, true, `${name} failed: ${JSON.stringify(result.result)}`);
  return result;
}

/** Snapshot custom actions (Proxmox, Hyper-V): create → list → restore → delete, checked in the emulator. */
async function snapshotActions(context: WorkflowContext, remote: RemoteVm, extensionId: string, vm: Json): Promise<void> {
  const { kind } = remote;
  const { client, emulators } = context;
  let actions = listOf(await client.sync('listCustomActions', { extensionid: extensionId }), 'extensioncustomaction');
  for (const action of actions) assertFields(action, ['id', 'name', 'extensionid', 'extensionname', 'resourcetype', 'allowedroletypes', 'timeout', 'enabled', 'parameters'], 'extensioncustomaction');
  for (const action of actions.filter((candidate) => candidate.enabled !== true)) {
    const updated = (await client.sync('updateCustomAction', { id: String(action.id), enabled: 'true' })).extensioncustomaction as Json;
    assert.equal(updated.enabled, true);
  }
  actions = listOf(await client.sync('listCustomActions', { extensionid: extensionId, resourceid: String(vm.id) }), 'extensioncustomaction');
  if (kind === 'HyperV') {
    // Before the snapshots: restoring a checkpoint leaves a Hyper-V VM saved, not running.
    await customAction(client, actions, 'Suspend', vm);
    assert.equal(await remotePower(emulators, remote), 'paused');
    await customAction(client, actions, 'Resume', vm);
    assert.equal(await remotePower(emulators, remote), 'on');
  }
  const parameter = kind === 'Proxmox' ? 'snap_name' : 'snapshot_name';
  await customAction(client, actions, 'CreateSnapshot', vm, { [parameter]: 'before-upgrade' });
  assert.deepEqual(await remoteSnapshots(emulators, remote), ['before-upgrade']);
  const listed = await customAction(client, actions, 'ListSnapshots', vm);
  assert.match(String((listed.result as Json).details), /before-upgrade/);
  await customAction(client, actions, 'RestoreSnapshot', vm, { [parameter]: 'before-upgrade' });
  await customAction(client, actions, 'DeleteSnapshot', vm, { [parameter]: 'before-upgrade' });
  assert.deepEqual(await remoteSnapshots(emulators, remote), []);
}

async function getVm(client: WorkflowClient, id: string): Promise<Json | undefined> {
  return listOf(await client.sync('listVirtualMachines', { id }), 'virtualmachine')[0];
}

/** The whole documented workflow for one in-built extension. */
export async function runDocumentedWorkflow(context: WorkflowContext, kind: BuiltinKind): Promise<void> {
  const { client, emulators, shared } = context;
  const { extension, host, templates } = await prepareExtension(context, kind);

  for (const [index, template] of templates.entries()) {
    const vmName = `${kind.toLowerCase()}-${client.name.replace(/[^a-z0-9]/g, '')}-${index}`;
    const deployed = (await client.async('deployVirtualMachine', {
      zoneid: shared.zoneId,
      templateid: String(template.id),
      serviceofferingid: shared.offeringId,
      networkids: shared.networkId,
      displayname: vmName,
      ...(kind === 'Proxmox' ? { 'externaldetails[0].vm_name': vmName } : {}),
    })).virtualmachine as Json;
    const remote: RemoteVm = { kind, name: kind === 'Proxmox' ? vmName : `${String(deployed.instancename)}-${String(deployed.id)}` };
    assertVm(deployed, { state: 'Running', hostId: String(host.id), templateId: String(template.id), networkId: shared.networkId });
    assert.equal(deployed.memory, shared.offeringMemory);
    assert.equal(await remotePower(emulators, remote), 'on');
    const listed = await getVm(client, String(deployed.id));
    assert.ok(listed);
    assertVm(listed, { state: 'Running', networkId: shared.networkId });

    const stopped = (await client.async('stopVirtualMachine', { id: String(deployed.id) })).virtualmachine as Json;
    assert.equal(stopped.state, 'Stopped');
    assert.equal(await remotePower(emulators, remote), 'off');
    const started = (await client.async('startVirtualMachine', { id: String(deployed.id) })).virtualmachine as Json;
    assert.equal(started.state, 'Running');
    assert.equal(await remotePower(emulators, remote), 'on');
    const rebooted = (await client.async('rebootVirtualMachine', { id: String(deployed.id) })).virtualmachine as Json;
    assert.equal(rebooted.state, 'Running');
    assert.equal(await remotePower(emulators, remote), 'on');

    // Custom actions once per extension, on the first instance.
    if (index === 0 && kind !== 'MaaS') await snapshotActions(context, remote, String(extension.id), deployed);

    if (index === 0) {
      // Destroy (recoverable) then expunge, as two steps.
      const destroyed = (await client.async('destroyVirtualMachine', { id: String(deployed.id) })).virtualmachine as Json;
      assert.equal(destroyed.state, 'Destroyed');
      assert.equal((await getVm(client, String(deployed.id)))?.state, 'Destroyed');
      await client.async('expungeVirtualMachine', { id: String(deployed.id) });
    } else {
      await client.async('destroyVirtualMachine', { id: String(deployed.id), expunge: 'true' });
    }
    assert.equal(await getVm(client, String(deployed.id)), undefined);
    assert.equal(await remotePower(emulators, remote), 'absent');
  }
}
