// The documented in-built extension workflow through the API over real HTTP, on the real orchestrator:
// enable extension → External cluster → host with details → template → deploy → lifecycle → custom actions.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { callSigned, send, type ApiCall } from '../helpers/cloudstack-signing.ts';
import { startExtorchApi, type RunningApi } from '../helpers/extorch-api.ts';

type Json = Record<string, unknown>;

describe('CloudStack API workflow on the orchestrator', () => {
  let api: RunningApi;
  before(async () => {
    api = await startExtorchApi();
  });
  after(() => api.close());

  async function call(command: string, params: Record<string, string> = {}, keys = api.keys): Promise<ApiCall> {
    return callSigned(api.url, keys, { command, ...params }, { method: command.startsWith('list') ? 'GET' : 'POST' });
  }
  async function ok(command: string, params: Record<string, string> = {}, keys = api.keys): Promise<Json> {
    const result = await call(command, params, keys);
    assert.equal(result.status, 200, `${command}: ${result.text}`);
    const name = `${command.toLowerCase()}response`;
    assert.deepEqual(Object.keys(result.json), [name]);
    return result.json[name]!;
  }
  async function job(command: string, params: Record<string, string>, keys = api.keys): Promise<{ accepted: Json; job: Json }> {
    const accepted = await ok(command, params, keys);
    assert.equal(typeof accepted.jobid, 'string', JSON.stringify(accepted));
    for (let attempt = 0; attempt < 400; attempt += 1) {
      const polled = await ok('queryAsyncJobResult', { jobid: String(accepted.jobid) }, keys);
      if (polled.jobstatus !== 0) return { accepted, job: polled };
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`${command} job did not finish`);
  }

  const ids: Record<string, string> = {};

  it('lists the seeded in-built extensions and enables Proxmox', async () => {
    const listed = await ok('listExtensions', { name: 'Proxmox' });
    const proxmox = (listed.extension as Json[])[0]!;
    assert.equal(proxmox.isuserdefined, false);
    assert.equal(proxmox.type, 'Orchestrator');
    ids.extension = String(proxmox.id);
    const updated = await ok('updateExtension', { id: ids.extension, state: 'Enabled' });
    assert.equal((updated.extension as Json).state, 'Enabled');
    const min = await ok('listExtensions', { id: ids.extension, details: 'min' });
    assert.equal('resources' in (min.extension as Json[])[0]!, false);
  });

  it('creates a zone and pod, and an External cluster bound to the extension', async () => {
    ids.zone = String(((await ok('createZone', { name: 'zone1', networktype: 'Advanced', dns1: '8.8.8.8', internaldns1: '10.0.0.2' })).zone as Json).id);
    const zones = await ok('listZones');
    assert.equal(zones.count, 1);
    assert.equal((zones.zone as Json[])[0]!.networktype, 'Advanced');
    ids.pod = String(((await ok('createPod', { name: 'pod1', zoneid: ids.zone })).pod as Json).id);
    const cluster = await ok('addCluster', {
      clustername: 'pve-cluster',
      clustertype: 'CloudManaged',
      hypervisor: 'External',
      podid: ids.pod,
      zoneid: ids.zone,
      extensionid: ids.extension!,
      'externaldetails[0].region': 'lab',
    });
    assert.equal(cluster.count, 1);
    const created = (cluster.cluster as Json[])[0]!;
    assert.equal(created.hypervisortype, 'External');
    assert.equal(created.extensionid, ids.extension);
    ids.cluster = String(created.id);
    const extension = (await ok('listExtensions', { id: ids.extension! })).extension as Json[];
    assert.deepEqual(((extension[0]!.resources as Json[])[0] as Json).id, ids.cluster);
  });

  it('refuses bad input with a message naming the parameter and writes nothing', async () => {
    const missing = await call('addCluster', { clustertype: 'CloudManaged', hypervisor: 'External', podid: ids.pod!, zoneid: ids.zone! });
    assert.equal(missing.status, 431);
    assert.match(String(missing.json.addclusterresponse!.errortext), /clustername/);
    const badZone = await call('createPod', { name: 'ghost', zoneid: '00000000-0000-4000-8000-000000000000' });
    assert.equal(badZone.status, 431, badZone.text);
    assert.equal(badZone.json.createpodresponse!.cserrorcode, 4350);
    assert.equal((await ok('listPods')).count, 1);
    const badBool = await call('createExtension', { name: 'x', type: 'Orchestrator', orchestratorrequirespreparevm: 'maybe' });
    assert.equal(badBool.status, 431);
    assert.match(String(badBool.json.createextensionresponse!.errortext), /orchestratorrequirespreparevm/);
    assert.equal((await ok('listExtensions', { name: 'x' })).count, undefined);
  });

  it('adds a host with external details and never returns the secret', async () => {
    const host = await call('addHost', {
      hypervisor: 'External',
      zoneid: ids.zone!,
      podid: ids.pod!,
      clusterid: ids.cluster!,
      url: 'https://pve1.lab:8006',
      username: 'External',
      password: 'External',
      'externaldetails[0].url': 'https://pve1.lab:8006',
      'externaldetails[0].user': 'root@pam',
      'externaldetails[0].token': 'extorch',
      'externaldetails[0].secret': 'S3CRET-token-value',
      'externaldetails[0].node': 'pve1',
    });
    assert.equal(host.status, 200, host.text);
    assert.doesNotMatch(host.text, /S3CRET-token-value/);
    const created = (host.json.addhostresponse!.host as Json[])[0]!;
    ids.host = String(created.id);
    assert.equal(created.hypervisor, 'External');
    assert.equal((created.externaldetails as Json).node, 'pve1');
    const listed = await call('listHosts', { id: ids.host });
    assert.doesNotMatch(listed.text, /S3CRET-token-value/);
    const updated = await call('updateHost', { id: ids.host, 'externaldetails[0].node': 'pve1b' });
    assert.equal(updated.status, 200, updated.text);
    assert.doesNotMatch(updated.text, /S3CRET-token-value/);
  });

  it('creates an offering, an L2 network and registers a template with external details', async () => {
    const offering = await ok('createServiceOffering', { name: 'small', displaytext: 'small', cpunumber: '2', cpuspeed: '1000', memory: '1024' });
    ids.offering = String((offering.serviceoffering as Json).id);
    const networkOffering = await ok('createNetworkOffering', { name: 'l2', displaytext: 'l2', guestiptype: 'L2', traffictype: 'Guest', specifyvlan: 'true' });
    ids.networkOffering = String((networkOffering.networkoffering as Json).id);
    const network = await ok('createNetwork', { name: 'vlan100', zoneid: ids.zone!, networkofferingid: ids.networkOffering, vlan: '100' });
    ids.network = String((network.network as Json).id);
    assert.equal((network.network as Json).vlan, '100');
    const template = await ok('registerTemplate', {
      name: 'debian',
      displaytext: 'Debian 12',
      format: 'QCOW2',
      hypervisor: 'External',
      url: 'http://example.invalid/dummy',
      zoneid: ids.zone!,
      extensionid: ids.extension!,
      'externaldetails[0].template_type': 'template',
      'externaldetails[0].template_id': '9000',
    });
    const registered = (template.template as Json[])[0]!;
    assert.equal(registered.extensionid, ids.extension);
    assert.deepEqual(registered.externaldetails, { template_type: 'template', template_id: '9000' });
    ids.template = String(registered.id);
    const executable = await ok('listTemplates', { templatefilter: 'executable' });
    assert.ok((executable.template as Json[]).some((t) => t.id === ids.template));
    const badFilter = await call('listTemplates', { templatefilter: 'everything' });
    assert.equal(badFilter.status, 431);
    assert.match(String(badFilter.json.listtemplatesresponse!.errortext), /templatefilter/);
  });

  it('deploys an instance (jobid + id, then virtualmachine in the job result)', async () => {
    const { accepted, job: done } = await job('deployVirtualMachine', {
      zoneid: ids.zone!,
      templateid: ids.template!,
      serviceofferingid: ids.offering!,
      networkids: ids.network!,
      name: 'web01',
      'externaldetails[0].vm_name': 'web-01',
    });
    assert.equal(typeof accepted.id, 'string');
    assert.equal(done.jobstatus, 1, JSON.stringify(done));
    assert.equal(done.jobresultcode, 0);
    assert.equal(done.jobresulttype, 'object');
    assert.equal(done.jobinstancetype, 'VirtualMachine');
    const vm = (done.jobresult as Json).virtualmachine as Json;
    assert.equal(vm.id, accepted.id);
    assert.equal(vm.state, 'Running');
    assert.match(String(vm.instancename), /^i-\d+-\d+-VM$/);
    assert.equal((vm.nic as Json[])[0]!.networkid, ids.network);
    ids.vm = String(vm.id);
    assert.ok(api.calls.includes('create') || api.calls.includes('start'));
    const listed = await ok('listVirtualMachines', { id: ids.vm });
    assert.equal(listed.count, 1);
    assert.equal((listed.virtualmachine as Json[])[0]!.state, 'Running');
  });

  it('refuses a deploy with unknown ids or a bad map key and creates nothing', async () => {
    const before = Number((await ok('listVirtualMachines', { listall: 'true' })).count ?? 0);
    const badTemplate = await call('deployVirtualMachine', { zoneid: ids.zone!, templateid: '00000000-0000-4000-8000-000000000000', serviceofferingid: ids.offering! });
    assert.equal(badTemplate.status, 431, badTemplate.text);
    assert.match(String(badTemplate.json.deployvirtualmachineresponse!.errortext), /template/i);
    const badMap = await call('deployVirtualMachine', { zoneid: ids.zone!, templateid: ids.template!, serviceofferingid: ids.offering!, 'externaldetails[a].vm_name': 'x' });
    assert.equal(badMap.status, 430);
    const missing = await call('deployVirtualMachine', { zoneid: ids.zone!, templateid: ids.template! });
    assert.equal(missing.json.deployvirtualmachineresponse!.errortext, 'Unable to execute API command deployvirtualmachine due to missing parameter serviceofferingid');
    assert.equal(Number((await ok('listVirtualMachines', { listall: 'true' })).count ?? 0), before);
  });

  it('stops, starts, reboots, destroys, recovers and expunges', async () => {
    const stopped = await job('stopVirtualMachine', { id: ids.vm! });
    assert.equal(((stopped.job.jobresult as Json).virtualmachine as Json).state, 'Stopped');
    const started = await job('startVirtualMachine', { id: ids.vm! });
    assert.equal(((started.job.jobresult as Json).virtualmachine as Json).state, 'Running');
    const rebooted = await job('rebootVirtualMachine', { id: ids.vm! });
    assert.equal(rebooted.job.jobstatus, 1);
    const destroyed = await job('destroyVirtualMachine', { id: ids.vm! });
    assert.equal(((destroyed.job.jobresult as Json).virtualmachine as Json).state, 'Destroyed');
    const recovered = await ok('recoverVirtualMachine', { id: ids.vm! });
    assert.equal((recovered.virtualmachine as Json).state, 'Stopped');
    await job('destroyVirtualMachine', { id: ids.vm! });
    const expunged = await job('expungeVirtualMachine', { id: ids.vm! });
    assert.equal(expunged.job.jobstatus, 1, JSON.stringify(expunged.job));
    assert.deepEqual(await ok('listVirtualMachines', { id: ids.vm! }), {});
    assert.ok(api.calls.includes('delete'));
  });

  it('manages and runs custom actions (the job succeeds even when the action fails)', async () => {
    const { job: deployed } = await job('deployVirtualMachine', { zoneid: ids.zone!, templateid: ids.template!, serviceofferingid: ids.offering!, networkids: ids.network! });
    const vm2 = String(((deployed.jobresult as Json).virtualmachine as Json).id);
    const seeded = (await ok('listCustomActions', { extensionid: ids.extension!, name: 'CreateSnapshot' })).extensioncustomaction as Json[];
    const createSnapshot = seeded[0]!;
    assert.equal(createSnapshot.resourcetype, 'VirtualMachine');
    assert.ok((createSnapshot.parameters as Json[]).some((p) => p.name === 'snap_name' && p.required === true));
    const run = await job('runCustomAction', { customactionid: String(createSnapshot.id), resourceid: vm2, 'parameters[0].snap_name': 'before-upgrade' });
    assert.equal(run.job.jobstatus, 1, JSON.stringify(run.job));
    const result = (run.job.jobresult as Json).customactionresult as Json;
    assert.equal(result.id, createSnapshot.id);
    assert.equal(result.name, 'CreateSnapshot');
    assert.equal(result.success, true);
    assert.equal(typeof (result.result as Json).message, 'string');
    const failing = await job('runCustomAction', { customactionid: String(createSnapshot.id), resourceid: vm2, 'parameters[0].snap_name': 'explode' });
    assert.equal(failing.job.jobstatus, 1, JSON.stringify(failing.job));
    assert.equal(((failing.job.jobresult as Json).customactionresult as Json).success, false);
    const missingParam = await job('runCustomAction', { customactionid: String(createSnapshot.id), resourceid: vm2 });
    assert.equal(missingParam.job.jobstatus, 2, JSON.stringify(missingParam.job));
    assert.equal(typeof (missingParam.job.jobresult as Json).errortext, 'string');
    assert.ok(Number(missingParam.job.jobresultcode) >= 400);

    const added = (await ok('addCustomAction', {
      extensionid: ids.extension!,
      name: 'testaction',
      description: 'test',
      'parameters[0].name': 'Name',
      'parameters[0].type': 'STRING',
      'parameters[0].validationformat': 'NONE',
      'parameters[0].required': 'true',
      'details[0].abc': 'xyz',
    })).extensioncustomaction as Json;
    assert.equal(added.extensionid, ids.extension);
    assert.equal(added.resourcetype, 'VirtualMachine');
    assert.equal(added.enabled, false);
    assert.deepEqual(added.allowedroletypes, ['Admin']);
    assert.equal(added.timeout, 3);
    assert.deepEqual(added.details, { abc: 'xyz' });
    const duplicate = await call('addCustomAction', { extensionid: ids.extension!, name: 'testaction' });
    assert.notEqual(duplicate.status, 200);
    const updated = (await ok('updateCustomAction', {
      id: String(added.id),
      enabled: 'true',
      'parameters[0].name': 'Name',
      'parameters[0].type': 'STRING',
      'parameters[0].required': 'true',
      'parameters[1].name': 'COUNT',
      'parameters[1].type': 'NUMBER',
      'parameters[1].valueoptions': '10,100,1000',
    })).extensioncustomaction as Json;
    assert.equal(updated.enabled, true);
    assert.deepEqual((updated.parameters as Json[])[1]!.valueoptions, ['10', '100', '1000']);
    assert.deepEqual(await ok('deleteCustomAction', { id: String(added.id) }), { success: true });
    assert.deepEqual(await ok('listCustomActions', { id: String(added.id) }), {});
  });

  it('creates accounts, users and keys; users see only their own and cannot administer', async () => {
    const account = await ok('createAccount', { username: 'alice', password: 'wonderland-1', firstname: 'Alice', lastname: 'L', email: 'a@example.invalid', accounttype: '0' });
    const created = account.account as Json;
    assert.equal(created.name, 'alice');
    const user = (created.user as Json[])[0]!;
    const keys = (await ok('registerUserKeys', { id: String(user.id) })).userkeys as Json;
    assert.equal(typeof keys.apikey, 'string');
    const fetched = (await ok('getUserKeys', { id: String(user.id) })).userkeys as Json;
    assert.equal(fetched.apikey, keys.apikey);
    const alice = { apiKey: String(keys.apikey), secretKey: String(keys.secretkey) };
    assert.equal((await call('addCluster', { clustername: 'x', clustertype: 'CloudManaged', hypervisor: 'External', podid: ids.pod!, zoneid: ids.zone! }, alice)).status, 401);
    assert.deepEqual(await ok('listVirtualMachines', {}, alice), {});
    const apis = ((await ok('listApis', {}, alice)).api as Json[]).map((a) => a.name);
    assert.ok(apis.includes('deployVirtualMachine') && !apis.includes('addHost'));
    const users = await ok('listUsers', { username: 'alice' });
    assert.equal(users.count, 1);
    const accounts = await ok('listAccounts', { name: 'alice' });
    assert.equal(accounts.count, 1);
  });

  it('records events and answers listCapabilities', async () => {
    const events = await ok('listEvents', { pagesize: '500', page: '1' });
    assert.ok(Number(events.count) > 0);
    assert.ok((events.event as Json[]).every((event) => typeof event.type === 'string' && typeof event.created === 'string'));
    const capabilities = (await ok('listCapabilities')).capability as Json;
    assert.match(String(capabilities.cloudstackversion), /^4\.\d+/);
  });

  it('exposes API latency, action latency and job counts on /metrics', async () => {
    const text = await (await fetch(api.url.replace('/client/api', '/metrics'))).text();
    assert.match(text, /extorch_api_request_duration_seconds_count\{command="deployVirtualMachine",errorcode="0"\} [1-9]/);
    assert.match(text, /extorch_extension_action_duration_seconds_count\{extension="Proxmox",action="start",outcome="success"\} [1-9]/);
    assert.match(text, /extorch_jobs\{status="succeeded"\} [1-9]/);
    assert.match(text, /extorch_jobs\{status="failed"\} [1-9]/);
  });

  it('logs in with a password session (UI/cmk style) and logs out', async () => {
    const login = await send(api.url, { command: 'login', username: 'admin', password: 'password', domain: '/', response: 'json' }, 'POST');
    assert.equal(login.status, 200, login.text);
    const body = login.json.loginresponse!;
    assert.equal(body.username, 'admin');
    assert.equal(body.type, '1');
    const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const zones = await send(api.url, { command: 'listZones', response: 'json', sessionkey: String(body.sessionkey) }, 'GET', { cookie });
    assert.equal(zones.status, 200, zones.text);
    assert.equal(zones.json.listzonesresponse!.count, 1);
    assert.equal((await send(api.url, { command: 'logout', response: 'json', sessionkey: String(body.sessionkey) }, 'GET', { cookie })).status, 200);
    assert.equal((await send(api.url, { command: 'listZones', response: 'json', sessionkey: String(body.sessionkey) }, 'GET', { cookie })).status, 401);
    const wrong = await send(api.url, { command: 'login', username: 'admin', password: 'nope', response: 'json' }, 'POST');
    assert.equal(wrong.status, 531);
    assert.equal(wrong.json.loginresponse!.errorcode, 531);
  });
});
