// CloudStack's Marvin extension BVTs (orchestrator.md §20), re-expressed against extorch's API over HTTP:
// test_extension_lifecycle, test_extension_custom_action_lifecycle and test_extension_custom (a user-defined
// executable extension that records each payload it is given).
import assert from 'node:assert/strict';
import { readFile, writeFile, chmod } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { callSigned, type ApiCall } from '../helpers/cloudstack-signing.ts';
import { startExtorchApi, type RunningApi } from '../helpers/extorch-api.ts';

type Json = Record<string, unknown>;

/** The executable of test_extension_custom.py, in Node: records payloads, answers lifecycle actions. */
function recordingExecutable(): string {
  return `#!${process.execPath}
const fs = require('node:fs');
const path = require('node:path');
const [action, payloadFile] = process.argv.slice(2);
const dir = path.join(path.dirname(process.argv[1]), 'calls');
fs.mkdirSync(dir, { recursive: true });
const payload = JSON.parse(fs.readFileSync(payloadFile, 'utf8'));
fs.appendFileSync(path.join(dir, 'actions.log'), action + '\\n');
fs.writeFileSync(path.join(dir, 'payload-' + action + '.json'), JSON.stringify(payload));
const out = (o) => process.stdout.write(JSON.stringify(o));
switch (action) {
  case 'prepare': case 'create': case 'start': case 'stop': case 'reboot': case 'delete':
    out({ status: 'success', message: action + ' done' }); break;
  case 'status': out({ status: 'success', power_state: 'PowerOn' }); break;
  // Marvin's script prints plain text here; CloudStack passes stdout through verbatim as result.details.
  case 'testaction': process.stdout.write(payload.parameters.Name + ' for ' + payload.virtualmachinename); break;
  default: out({ status: 'error', error: 'unknown action ' + action }); process.exit(1);
}
`;
}

describe('Marvin extension tests, re-expressed', () => {
  let api: RunningApi;
  const ids: Record<string, string> = {};
  before(async () => {
    api = await startExtorchApi();
  });
  after(() => api.close());

  const call = (command: string, params: Record<string, string> = {}): Promise<ApiCall> =>
    callSigned(api.url, api.keys, { command, ...params }, { method: 'POST' });
  async function ok(command: string, params: Record<string, string> = {}): Promise<Json> {
    const result = await call(command, params);
    assert.equal(result.status, 200, `${command}: ${result.text}`);
    return result.json[`${command.toLowerCase()}response`]!;
  }
  async function job(command: string, params: Record<string, string>): Promise<Json> {
    const { jobid } = await ok(command, params);
    for (let attempt = 0; attempt < 400; attempt += 1) {
      const polled = await ok('queryAsyncJobResult', { jobid: String(jobid) });
      if (polled.jobstatus !== 0) return polled;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`${command} did not finish`);
  }

  it('lifecycle 01-03: create with details; bad type and duplicate name refused', async () => {
    const name = `ext-${randomUUID().slice(0, 8)}`;
    const created = (await ok('createExtension', { name, type: 'Orchestrator', 'details[0].abc': 'xyz' })).extension as Json;
    assert.equal(created.name, name);
    assert.equal(created.type, 'Orchestrator');
    assert.equal(created.state, 'Enabled');
    assert.equal(created.pathready, true);
    assert.equal(created.isuserdefined, true);
    assert.deepEqual(created.details, { abc: 'xyz' });
    ids.extension = String(created.id);
    ids.path = String(created.path);
    const badType = await call('createExtension', { name: `${name}-x`, type: 'Random' });
    assert.equal(badType.status, 431);
    assert.match(String(badType.json.createextensionresponse!.errortext), /Invalid type specified/);
    const duplicate = await call('createExtension', { name, type: 'Orchestrator' });
    assert.equal(duplicate.status, 530);
    assert.equal(duplicate.json.createextensionresponse!.errortext, 'Extension by name already exists');
  });

  it('lifecycle 04: create Disabled, then update description, state and details', async () => {
    const created = (await ok('createExtension', { name: `dis-${randomUUID().slice(0, 8)}`, type: 'Orchestrator', state: 'Disabled', description: 'before', 'details[0].abc': 'xyz' })).extension as Json;
    assert.equal(created.state, 'Disabled');
    const updated = (await ok('updateExtension', { id: String(created.id), description: 'after', state: 'Enabled', 'details[0].abc': 'xyz', 'details[0].bca': 'yzx' })).extension as Json;
    assert.equal(updated.description, 'after');
    assert.equal(updated.state, 'Enabled');
    assert.deepEqual(updated.details, { abc: 'xyz', bca: 'yzx' });
    ids.second = String(created.id);
  });

  it('lifecycle 05-07: register with an External cluster, one extension per cluster, no delete while registered', async () => {
    const zone = (await ok('createZone', { name: 'mz', networktype: 'Advanced', dns1: '8.8.8.8', internaldns1: '10.0.0.2' })).zone as Json;
    const pod = (await ok('createPod', { name: 'mp', zoneid: String(zone.id) })).pod as Json;
    ids.zone = String(zone.id);
    ids.pod = String(pod.id);
    const cluster = ((await ok('addCluster', { clustername: 'mc', clustertype: 'CloudManaged', hypervisor: 'External', podid: ids.pod, zoneid: ids.zone })).cluster as Json[])[0]!;
    ids.cluster = String(cluster.id);
    const registered = (await ok('registerExtension', { extensionid: ids.extension!, resourceid: ids.cluster, resourcetype: 'Cluster' })).extension as Json;
    assert.ok((registered.resources as Json[]).some((resource) => resource.id === ids.cluster && resource.type === 'Cluster'));
    const second = await call('registerExtension', { extensionid: ids.second!, resourceid: ids.cluster, resourcetype: 'Cluster' });
    assert.notEqual(second.status, 200);
    const remove = await call('deleteExtension', { id: ids.extension! });
    assert.notEqual(remove.status, 200);
    assert.match(String(remove.json.deleteextensionresponse!.errortext), /associated resources/);
    const unregistered = (await ok('unregisterExtension', { extensionid: ids.extension!, resourceid: ids.cluster, resourcetype: 'Cluster' })).extension as Json;
    assert.deepEqual(unregistered.resources ?? [], []);
    await ok('registerExtension', { extensionid: ids.extension!, resourceid: ids.cluster, resourcetype: 'Cluster' });
  });

  it('custom 01: VM lifecycle through the executable, with the payload CloudStack writes', async () => {
    await writeFile(ids.path!, recordingExecutable());
    await chmod(ids.path!, 0o755);
    const calls = join(dirname(ids.path!), 'calls');
    await ok('addHost', { hypervisor: 'External', zoneid: ids.zone!, podid: ids.pod!, clusterid: ids.cluster!, url: 'http://stub.invalid', username: 'External', password: 'External' });
    const offering = (await ok('createServiceOffering', { name: 'tiny', displaytext: 'tiny', cpunumber: '1', cpuspeed: '100', memory: '128' })).serviceoffering as Json;
    const networkOffering = (await ok('createNetworkOffering', { name: 'l2', displaytext: 'l2', guestiptype: 'L2', traffictype: 'Guest' })).networkoffering as Json;
    const network = (await ok('createNetwork', { name: 'l2-net', zoneid: ids.zone!, networkofferingid: String(networkOffering.id) })).network as Json;
    const template = ((await ok('registerTemplate', { name: 'mt', displaytext: 'mt', format: 'External', hypervisor: 'External', url: 'http://dummy.invalid', zoneid: ids.zone!, extensionid: ids.extension! })).template as Json[])[0]!;
    const deployed = await job('deployVirtualMachine', { zoneid: ids.zone!, templateid: String(template.id), serviceofferingid: String(offering.id), networkids: String(network.id) });
    assert.equal(deployed.jobstatus, 1, JSON.stringify(deployed));
    const vm = (deployed.jobresult as Json).virtualmachine as Json;
    assert.equal(vm.state, 'Running');
    ids.vm = String(vm.id);
    ids.instancename = String(vm.instancename);
    const payload = JSON.parse(await readFile(join(calls, 'payload-create.json'), 'utf8')) as Json;
    for (const key of ['externaldetails', 'cloudstack.vm.details', 'virtualmachineid', 'virtualmachinename']) assert.ok(key in payload, `payload has ${key}`);
    const vmDetails = payload['cloudstack.vm.details'] as Json;
    assert.equal(vmDetails.minRam, 128 * 1024 * 1024);
    assert.equal(vmDetails.cpus, 1);
    assert.equal(((await job('stopVirtualMachine', { id: ids.vm })).jobresult as Json & { virtualmachine: Json }).virtualmachine.state, 'Stopped');
    assert.equal(((await job('startVirtualMachine', { id: ids.vm })).jobresult as Json & { virtualmachine: Json }).virtualmachine.state, 'Running');
    assert.equal((await job('rebootVirtualMachine', { id: ids.vm })).jobstatus, 1);
    const actions = (await readFile(join(calls, 'actions.log'), 'utf8')).trim().split('\n');
    for (const action of ['create', 'stop', 'start', 'reboot']) assert.ok(actions.includes(action), `executable called with ${action}`);
  });

  it('custom action lifecycle 01-04 and custom 02-03: run through the executable', async () => {
    const added = (await ok('addCustomAction', {
      extensionid: ids.extension!,
      name: 'testaction',
      successmessage: 'Successfully completed {{actionName}}',
      'parameters[0].name': 'Name',
      'parameters[0].type': 'STRING',
      'parameters[0].validationformat': 'NONE',
      'parameters[0].required': 'true',
      'details[0].abc': 'xyz',
    })).extensioncustomaction as Json;
    assert.equal(added.resourcetype, 'VirtualMachine');
    assert.equal(added.enabled, false);
    assert.deepEqual(added.allowedroletypes, ['Admin']);
    assert.equal(added.timeout, 3);
    const listed = (await ok('listCustomActions', { extensionid: ids.extension! })).extensioncustomaction as Json[];
    assert.deepEqual(listed.map((action) => action.id), [added.id]);
    assert.notEqual((await call('addCustomAction', { extensionid: ids.extension!, name: 'testaction' })).status, 200);
    await ok('updateCustomAction', { id: String(added.id), enabled: 'true' });
    const value = randomUUID().slice(0, 8);
    const run = await job('runCustomAction', { customactionid: String(added.id), resourceid: ids.vm!, 'parameters[0].Name': value });
    const result = (run.jobresult as Json).customactionresult as Json;
    assert.equal(result.success, true, JSON.stringify(run));
    assert.deepEqual(result.result, { message: 'Successfully completed testaction', details: `${value} for ${ids.instancename}` });

    const failing = (await ok('addCustomAction', { extensionid: ids.extension!, name: 'invalidaction', errormessage: 'Failed {{actionName}}', enabled: 'true' })).extensioncustomaction as Json;
    const failed = await job('runCustomAction', { customactionid: String(failing.id), resourceid: ids.vm! });
    assert.equal(failed.jobstatus, 1, 'the job succeeds even though the action failed');
    const failedResult = (failed.jobresult as Json).customactionresult as Json;
    assert.equal(failedResult.success, false);
    assert.equal((failedResult.result as Json).message, 'Failed invalidaction');

    const bogus = await job('runCustomAction', { customactionid: String(added.id), resourceid: randomUUID(), 'parameters[0].Name': 'x' });
    assert.equal(bogus.jobstatus, 2);
    assert.match(String((bogus.jobresult as Json).errortext), /Internal error running action/);
  });

  it('custom 01 (end): destroy with expunge calls delete', async () => {
    const destroyed = await job('destroyVirtualMachine', { id: ids.vm!, expunge: 'true' });
    assert.equal(destroyed.jobstatus, 1, JSON.stringify(destroyed));
    const actions = (await readFile(join(dirname(ids.path!), 'calls', 'actions.log'), 'utf8')).trim().split('\n');
    assert.ok(actions.includes('delete'));
  });
});
