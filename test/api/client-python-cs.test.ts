// Interop: Debian's python3-cs (`cs` CLI, run as `/usr/bin/python3 -m cs`) against a running extorch API:
// signature v3 with `signatureVersion`, JSON content type check, one-key envelopes, async job polling.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startExtorchApi, type RunningApi } from '../helpers/extorch-api.ts';

type Json = Record<string, unknown>;
const execFileAsync = promisify(execFile);
/** Debian's python3-cs imports only under the system interpreter (not a pyenv python3 on PATH). */
const SYSTEM_PYTHON = '/usr/bin/python3';

describe('python3-cs (Debian) against extorch', () => {
  let api: RunningApi;
  before(async () => {
    api = await startExtorchApi();
  });
  after(() => api.close());

  async function cs(command: string, args: Record<string, string> = {}, options: { post?: boolean } = {}): Promise<{ body: Json; stderr: string }> {
    const argv = ['-m', 'cs', ...(options.post ? ['--post'] : []), command, ...Object.entries(args).map(([key, value]) => `${key}=${value}`)];
    const { stdout, stderr } = await execFileAsync(SYSTEM_PYTHON, argv, {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        CLOUDSTACK_ENDPOINT: api.url,
        CLOUDSTACK_KEY: api.keys.apiKey,
        CLOUDSTACK_SECRET: api.keys.secretKey,
        CLOUDSTACK_METHOD: 'get',
        CLOUDSTACK_TIMEOUT: '10',
        CLOUDSTACK_POLL_INTERVAL: '0.05',
      },
      timeout: 60_000,
    });
    return { body: stdout.trim() ? (JSON.parse(stdout) as Json) : {}, stderr };
  }
  async function ok(command: string, args: Record<string, string> = {}, options: { post?: boolean } = {}): Promise<Json> {
    const { body, stderr } = await cs(command, args, options);
    assert.equal(stderr, '', `${command}: ${stderr}`);
    return body;
  }

  it('calls listApis and listZones', async () => {
    const apis = await ok('listApis');
    assert.ok(Number(apis.count) > 40);
    assert.ok((apis.api as Json[]).some((api) => api.name === 'runCustomAction' && api.isasync === true));
    assert.deepEqual(await ok('listZones'), {});
  });

  it('creates and lists objects, deploys and polls jobs (GET and POST)', async () => {
    const zone = (await ok('createZone', { name: 'py-zone', networktype: 'Advanced', dns1: '8.8.8.8', internaldns1: '10.0.0.2' }, { post: true })).zone as Json;
    const zones = await ok('listZones');
    assert.equal(zones.count, 1);
    assert.equal((zones.zone as Json[])[0]!.name, 'py-zone');
    const pod = (await ok('createPod', { name: 'pod', zoneid: String(zone.id) })).pod as Json;
    const extension = ((await ok('listExtensions', { name: 'Proxmox' })).extension as Json[])[0]!;
    await ok('updateExtension', { id: String(extension.id), state: 'Enabled' }, { post: true });
    const cluster = ((await ok('addCluster', { clustername: 'c1', clustertype: 'CloudManaged', hypervisor: 'External', podid: String(pod.id), zoneid: String(zone.id), extensionid: String(extension.id), 'externaldetails[0].site': 'lab a' }, { post: true })).cluster as Json[])[0]!;
    const host = ((await ok('addHost', {
      hypervisor: 'External',
      zoneid: String(zone.id),
      podid: String(pod.id),
      clusterid: String(cluster.id),
      url: 'https://pve.lab',
      'externaldetails[0].url': 'https://pve.lab:8006',
      'externaldetails[0].secret': 'python-secret',
    }, { post: true })).host as Json[])[0]!;
    assert.equal(host.hypervisor, 'External');
    assert.notEqual((host.externaldetails as Json).secret, 'python-secret');
    const offering = (await ok('createServiceOffering', { name: 'o', displaytext: 'o', cpunumber: '1', cpuspeed: '1000', memory: '512' })).serviceoffering as Json;
    const networkOffering = (await ok('createNetworkOffering', { name: 'l2', displaytext: 'l2', guestiptype: 'L2', traffictype: 'Guest' })).networkoffering as Json;
    const network = (await ok('createNetwork', { name: 'n', zoneid: String(zone.id), networkofferingid: String(networkOffering.id), vlan: '300' })).network as Json;
    const template = ((await ok('registerTemplate', {
      name: 't',
      displaytext: 'Template with spaces',
      format: 'QCOW2',
      hypervisor: 'External',
      url: 'http://example.invalid/t',
      zoneid: String(zone.id),
      extensionid: String(extension.id),
      'externaldetails[0].template_id': '9000',
    })).template as Json[])[0]!;
    assert.equal((await ok('listTemplates', { templatefilter: 'all' })).count, 1);

    // The CLI polls queryAsyncJobResult and prints the job result: {"virtualmachine": {...}}.
    const deployed = await ok('deployVirtualMachine', {
      zoneid: String(zone.id),
      templateid: String(template.id),
      serviceofferingid: String(offering.id),
      networkids: String(network.id),
      'externaldetails[0].vm_name': 'from-python',
    }, { post: true });
    const vm = deployed.virtualmachine as Json;
    assert.equal(vm.state, 'Running');
    const rebooted = await ok('rebootVirtualMachine', { id: String(vm.id) });
    assert.equal((rebooted.virtualmachine as Json).id, vm.id);
    const destroyed = await ok('destroyVirtualMachine', { id: String(vm.id), expunge: 'true' });
    assert.ok(destroyed.virtualmachine || destroyed.success);
    const jobs = await ok('listAsyncJobs');
    assert.ok((jobs.asyncjobs as Json[]).some((job) => job.cmd === 'deployVirtualMachine' && job.jobstatus === 1));
  });

  it('reports API errors (431 naming the parameter) and refuses a wrong secret', async () => {
    const missing = await cs('createPod', { name: 'nozone' });
    assert.match(missing.stderr, /HTTP 431/);
    // On errors the CLI prints the whole envelope it received.
    assert.match(String((missing.body.createpodresponse as Json).errortext), /zoneid/);
    const { stderr } = await execFileAsync(SYSTEM_PYTHON, ['-m', 'cs', 'listZones'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CLOUDSTACK_ENDPOINT: api.url, CLOUDSTACK_KEY: api.keys.apiKey, CLOUDSTACK_SECRET: 'wrong', CLOUDSTACK_METHOD: 'get', CLOUDSTACK_TIMEOUT: '10' },
    });
    assert.match(stderr, /HTTP 401/);
  });
});
