// Interop: the npm CloudStack client `csclient` (signature v3, GET, async polling, listApis-driven
// single executor) against a running extorch API. Its own checks plus ours fail on a wrong response shape.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { startExtorchApi, type RunningApi } from '../helpers/extorch-api.ts';

type Json = Record<string, unknown>;
interface CsClient {
  on(event: 'ready' | 'error', listener: (error?: Error) => void): void;
  execute(command: string, params: Json, callback: (error: (Error & { code?: number }) | null, result: Json) => void): void;
  executeSync(command: string, params: Json, callback: (error: (Error & { code?: number }) | null, result: Json) => void): void;
}
const require = createRequire(import.meta.url);
const CloudStackClient = require('csclient') as new (options: Json) => CsClient;

describe('csclient (npm) against extorch', () => {
  let api: RunningApi;
  let client: CsClient;

  before(async () => {
    api = await startExtorchApi();
    client = new CloudStackClient({ baseUrl: `${api.url}?`, apiKey: api.keys.apiKey, secretKey: api.keys.secretKey, singleExecutor: true, pollingTime: 20, pollingNumber: 500 });
    // Single-executor mode calls listApis first and classifies commands by `isasync`.
    await new Promise<void>((resolve, reject) => {
      client.on('ready', () => resolve());
      client.on('error', (error) => reject(error));
    });
  });
  after(() => api.close());

  const run = (command: string, params: Json = {}) =>
    new Promise<Json>((resolve, reject) => client.execute(command, { ...params }, (error, result) => (error ? reject(error) : resolve(result))));

  it('calls listApis and listZones', async () => {
    const apis = (await run('listApis', { name: 'deployVirtualMachine' })).listapisresponse as Json;
    assert.equal(((apis.api as Json[])[0] as Json).isasync, true);
    assert.deepEqual(await run('listZones'), { listzonesresponse: {} });
  });

  it('creates and lists infrastructure, deploys an instance and polls the job', async () => {
    const zone = ((await run('createZone', { name: 'cs-zone', networktype: 'Advanced', dns1: '8.8.8.8', internaldns1: '10.0.0.2' })).createzoneresponse as Json).zone as Json;
    const zones = (await run('listZones')).listzonesresponse as Json;
    assert.equal(zones.count, 1);
    assert.equal(((zones.zone as Json[])[0] as Json).id, zone.id);
    const pod = ((await run('createPod', { name: 'pod', zoneid: zone.id })).createpodresponse as Json).pod as Json;
    const extension = (((await run('listExtensions', { name: 'Proxmox' })).listextensionsresponse as Json).extension as Json[])[0]!;
    await run('updateExtension', { id: extension.id, state: 'Enabled' });
    const cluster = (((await run('addCluster', { clustername: 'c1', clustertype: 'CloudManaged', hypervisor: 'External', podid: pod.id, zoneid: zone.id, extensionid: extension.id })).addclusterresponse as Json).cluster as Json[])[0]!;
    assert.equal(cluster.hypervisortype, 'External');
    const host = (((await run('addHost', {
      hypervisor: 'External',
      zoneid: zone.id,
      podid: pod.id,
      clusterid: cluster.id,
      url: 'https://pve.lab',
      'externaldetails[0].url': 'https://pve.lab:8006',
      'externaldetails[0].secret': 'csclient-secret',
    })).addhostresponse as Json).host as Json[])[0]!;
    assert.notEqual((host.externaldetails as Json).secret, 'csclient-secret');
    const offering = ((await run('createServiceOffering', { name: 'o', displaytext: 'o', cpunumber: 1, cpuspeed: 1000, memory: 512 })).createserviceofferingresponse as Json).serviceoffering as Json;
    const networkOffering = ((await run('createNetworkOffering', { name: 'l2', displaytext: 'l2', guestiptype: 'L2', traffictype: 'Guest' })).createnetworkofferingresponse as Json).networkoffering as Json;
    const network = ((await run('createNetwork', { name: 'n', zoneid: zone.id, networkofferingid: networkOffering.id, vlan: 200 })).createnetworkresponse as Json).network as Json;
    const template = (((await run('registerTemplate', {
      name: 't',
      displaytext: 't',
      format: 'QCOW2',
      hypervisor: 'External',
      url: 'http://example.invalid/t',
      zoneid: zone.id,
      extensionid: extension.id,
      'externaldetails[0].template_id': '9000',
    })).registertemplateresponse as Json).template as Json[])[0]!;

    const deployed = (await run('deployVirtualMachine', {
      zoneid: zone.id,
      templateid: template.id,
      serviceofferingid: offering.id,
      networkids: network.id,
      'externaldetails[0].vm_name': 'from-csclient',
    })) as Json;
    // csclient returns the queryAsyncJobResult body once jobstatus is 1.
    assert.equal(deployed.jobstatus, 1);
    const vm = (deployed.jobresult as Json).virtualmachine as Json;
    assert.equal(vm.state, 'Running');
    const listed = (await run('listVirtualMachines', { id: vm.id })).listvirtualmachinesresponse as Json;
    assert.equal(((listed.virtualmachine as Json[])[0] as Json).id, vm.id);
    const stopped = (await run('stopVirtualMachine', { id: vm.id })) as Json;
    assert.equal(((stopped.jobresult as Json).virtualmachine as Json).state, 'Stopped');
  });

  it('surfaces CloudStack errors with their code', async () => {
    await assert.rejects(run('createPod', { name: 'nozone' }), (error: Error & { code?: number }) => {
      assert.equal(error.code, 431);
      assert.match(error.message, /zoneid/);
      return true;
    });
  });
});
