// createConsoleEndpoint over real HTTP (orchestrator.md §8): the real orchestrator runs the real in-built
// extensions' `getconsole` against the MAAS, Proxmox and Hyper-V emulators.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Orchestrator } from '../../src/orchestrator/index.ts';
import { callSigned, type ApiCall } from '../helpers/cloudstack-signing.ts';
import { startConsoleSandbox, type ConsoleSandbox } from '../helpers/console-sandbox.ts';

type Json = Record<string, unknown>;
type Keys = { apiKey: string; secretKey: string };

const DEPLOY_TIMEOUT_MS = 60_000;

/** Enables the extension, gives it a cluster and one host, registers a template and deploys a running instance. */
async function runningInstance(
  sandbox: ConsoleSandbox,
  setup: { extension: string; hostDetails: Record<string, string>; templateDetails: Record<string, string>; name: string },
): Promise<{ instanceId: string; hostName: string }> {
  const { orchestrator, admin, seeded } = sandbox;
  const extension = (await orchestrator.extensions.listExtensions(admin, { name: setup.extension })).items[0];
  assert.ok(extension, setup.extension);
  await orchestrator.extensions.updateExtension(admin, extension.id, { state: 'Enabled' });
  const cluster = await orchestrator.infrastructure.addCluster(admin, { name: `${setup.name}-cluster`, zoneId: seeded.zoneId, podId: seeded.podId, hypervisor: 'External', extensionId: extension.id });
  const host = await orchestrator.infrastructure.addHost(admin, { zoneId: seeded.zoneId, podId: seeded.podId, clusterId: cluster.id, hypervisor: 'External', url: `${setup.name}-host`, externalDetails: setup.hostDetails });
  const template = await orchestrator.templates.registerTemplate(admin, {
    name: `${setup.name}-template`,
    displayText: setup.name,
    format: 'External',
    hypervisor: 'External',
    url: 'http://external.invalid/template',
    zoneId: seeded.zoneId,
    extensionId: extension.id,
    externalDetails: setup.templateDetails,
    isPublic: true,
  });
  const { instance, job } = await orchestrator.instances.deploy(admin, { zoneId: seeded.zoneId, templateId: template.id, serviceOfferingId: seeded.offeringId, networkIds: [seeded.networkId], displayName: setup.name });
  const done = await orchestrator.jobs.wait(admin, job.id, DEPLOY_TIMEOUT_MS);
  assert.equal(done.status, 'succeeded', JSON.stringify(done));
  return { instanceId: instance.id, hostName: host.name };
}

async function consoleOf(sandbox: ConsoleSandbox, keys: Keys, virtualmachineid: string): Promise<ApiCall> {
  return callSigned(sandbox.apiUrl, keys, { command: 'createConsoleEndpoint', virtualmachineid });
}

function endpointOf(answer: ApiCall): Json {
  assert.equal(answer.status, 200, answer.text);
  assert.deepEqual(Object.keys(answer.json), ['createconsoleendpointresponse']);
  const endpoint = answer.json.createconsoleendpointresponse?.consoleendpoint as Json | undefined;
  assert.ok(endpoint, answer.text);
  return endpoint;
}

function errorOf(answer: ApiCall): { code: number; text: string } {
  const body = answer.json.createconsoleendpointresponse as Json | undefined;
  assert.ok(body && typeof body.errortext === 'string', answer.text);
  assert.equal(body.errorcode, answer.status);
  return { code: answer.status, text: body.errortext };
}

async function consoleEvents(orchestrator: Orchestrator, sandbox: ConsoleSandbox, instanceId: string): Promise<string[]> {
  const events = await orchestrator.events.list(sandbox.admin, { resourceId: instanceId, pageSize: 100 });
  return events.items.filter((event) => event.type === 'VM.CONSOLE').map((event) => `${event.outcome}: ${event.description}`);
}

describe('createConsoleEndpoint on the emulators', { timeout: 120_000 }, () => {
  let sandbox: ConsoleSandbox;
  let adminKeys: Keys;
  let maasVm: { instanceId: string; hostName: string };

  before(async () => {
    sandbox = await startConsoleSandbox({ serveConsole: false });
    adminKeys = await sandbox.orchestrator.iam.registerUserKeys(sandbox.admin, sandbox.admin.userId);
    maasVm = await runningInstance(sandbox, {
      extension: 'MaaS',
      name: 'metal',
      hostDetails: { endpoint: sandbox.maas.endpoint, apikey: sandbox.maas.apikey },
      templateDetails: { distro_series: 'jammy', os: 'ubuntu', architecture: 'amd64/generic' },
    });
  });
  after(() => sandbox?.close());

  it('is listed by listApis for a User, with its parameters', async () => {
    const user = await sandbox.orchestrator.iam.createAccount(sandbox.admin, { username: 'carol', password: 'carol-password', firstName: 'Carol', lastName: 'C', accountType: 'NORMAL' });
    const keys = await sandbox.orchestrator.iam.registerUserKeys(sandbox.admin, user.user.id);
    const listed = await callSigned(sandbox.apiUrl, keys, { command: 'listApis', name: 'createConsoleEndpoint' });
    assert.equal(listed.status, 200, listed.text);
    const api = ((listed.json.listapisresponse?.api as Json[] | undefined) ?? [])[0];
    assert.ok(api, listed.text);
    assert.equal(api.name, 'createConsoleEndpoint');
    assert.equal(api.isasync, false);
    const params = Object.fromEntries((api.params as Json[]).map((param) => [param.name, param]));
    assert.equal((params.virtualmachineid as Json).required, true);
    assert.equal((params.token as Json).required, false);
    assert.ok((api.response as Json[]).some((field) => field.name === 'websocket'));
  });

  it('MAAS: a direct console whose url is the machine page in the MAAS UI', async () => {
    const endpoint = endpointOf(await consoleOf(sandbox, adminKeys, maasVm.instanceId));
    assert.equal(endpoint.success, true);
    const instance = await sandbox.orchestrator.instances.get(sandbox.admin, maasVm.instanceId);
    const systemId = instance.details?.['External:maas_system_id'];
    assert.ok(systemId, JSON.stringify(instance.details));
    assert.match(String(endpoint.url), new RegExp(`^${sandbox.maas.endpoint.replace(/\/+$/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*/MAAS/r/machine/[^/]+/summary$`));
    assert.ok(String(endpoint.url).includes(`/machine/${systemId}/`), `${String(endpoint.url)} names ${systemId}`);
    assert.equal(endpoint.websocket, undefined);
    const events = await consoleEvents(sandbox.orchestrator, sandbox, maasVm.instanceId);
    assert.equal(events.length, 1, events.join('\n'));
    assert.match(events[0]!, /direct console/);
  });

  it('Proxmox: a VNC console with the node address, the proxy port and a one-time ticket', async () => {
    const info = sandbox.proxmox.readyInfo();
    const vm = await runningInstance(sandbox, {
      extension: 'Proxmox',
      name: 'pve',
      hostDetails: { url: info.url, user: info.user, token: info.token, secret: info.secret, node: 'pve1', network_bridge: 'vmbr0', verify_tls_certificate: 'false' },
      templateDetails: { template_type: 'template', template_id: '9000' },
    });
    const first = endpointOf(await consoleOf(sandbox, adminKeys, vm.instanceId));
    assert.equal(first.success, true);
    assert.equal(first.url, undefined);
    const vnc = first.websocket as Json;
    assert.equal(vnc.protocol, 'vnc');
    assert.match(String(vnc.host), /^\d+\.\d+\.\d+\.\d+$/);
    assert.match(String(vnc.port), /^\d+$/);
    assert.equal(typeof vnc.password, 'string');
    assert.ok(String(vnc.password).length > 8);
    assert.equal(vnc.passwordonetimeuseonly, true);
    // Each request is a new ticket, and the ticket never lands in the audit trail.
    const second = endpointOf(await consoleOf(sandbox, adminKeys, vm.instanceId)).websocket as Json;
    assert.notEqual(second.password, vnc.password);
    const events = await consoleEvents(sandbox.orchestrator, sandbox, vm.instanceId);
    assert.equal(events.length, 2);
    for (const event of events) assert.ok(!event.includes(String(vnc.password)) && !event.includes(String(second.password)), event);
  });

  it('Hyper-V: the extension\'s "not supported" error in CloudStack\'s error envelope', async () => {
    const info = sandbox.hyperv.readyInfo();
    const vm = await runningInstance(sandbox, {
      extension: 'HyperV',
      name: 'hv',
      hostDetails: { url: info.url, username: info.username, password: info.password, network_bridge: info.network_bridge, vhd_path: info.vhd_path, vm_path: info.vm_path, verify_tls_certificate: 'false' },
      templateDetails: { template_type: 'template', generation: '2', template_path: info.template_path },
    });
    const answer = await consoleOf(sandbox, adminKeys, vm.instanceId);
    assert.equal(answer.status, 530, answer.text);
    const error = errorOf(answer);
    assert.match(error.text, /Operation not supported/);
    assert.ok(!error.text.includes(info.password), 'no host secret in the error');
    const events = await consoleEvents(sandbox.orchestrator, sandbox, vm.instanceId);
    assert.equal(events.length, 1);
    assert.match(events[0]!, /^failure: .*Operation not supported/);
  });

  it('a User is refused another account\'s instance, and a missing or unknown id is refused', async () => {
    const bob = await sandbox.orchestrator.iam.createAccount(sandbox.admin, { username: 'bob', password: 'bob-password', firstName: 'Bob', lastName: 'B', accountType: 'NORMAL' });
    const keys = await sandbox.orchestrator.iam.registerUserKeys(sandbox.admin, bob.user.id);
    const refused = await consoleOf(sandbox, keys, maasVm.instanceId);
    assert.equal(refused.status, 431, refused.text);
    assert.match(errorOf(refused).text, /Unable to find virtual machine/);
    assert.ok(!refused.text.includes('/MAAS/'), 'no console url leaks');
    const missing = await callSigned(sandbox.apiUrl, adminKeys, { command: 'createConsoleEndpoint' });
    assert.equal(missing.status, 431, missing.text);
    assert.match(missing.text, /virtualmachineid/);
    const events = await consoleEvents(sandbox.orchestrator, sandbox, maasVm.instanceId);
    assert.equal(events.length, 1, 'a refusal runs no getconsole');
  });

  it('an instance whose extension is disabled is refused with CloudStack\'s message', async () => {
    const { orchestrator, admin } = sandbox;
    const maas = (await orchestrator.extensions.listExtensions(admin, { name: 'MaaS' })).items[0];
    assert.ok(maas);
    await orchestrator.extensions.updateExtension(admin, maas.id, { state: 'Disabled' });
    try {
      const answer = await consoleOf(sandbox, adminKeys, maasVm.instanceId);
      assert.notEqual(answer.status, 200, answer.text);
      assert.equal(errorOf(answer).text, `No enabled orchestrator extension found for the host: ${maasVm.hostName}`);
    } finally {
      await orchestrator.extensions.updateExtension(admin, maas.id, { state: 'Enabled' });
    }
  });

  it('a stopped instance is refused before the extension is asked', async () => {
    const stop = await sandbox.orchestrator.instances.stop(sandbox.admin, maasVm.instanceId);
    assert.equal((await sandbox.orchestrator.jobs.wait(sandbox.admin, stop.id, DEPLOY_TIMEOUT_MS)).status, 'succeeded');
    const answer = await consoleOf(sandbox, adminKeys, maasVm.instanceId);
    assert.equal(answer.status, 431, answer.text);
    assert.match(errorOf(answer).text, /not running/);
  });
});
