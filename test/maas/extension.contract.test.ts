import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createPayload } from '../helpers/payloads.ts';
import { hostDetails, MaasHarness } from './harness.ts';

interface MachineState {
  systemId: string;
  hostname: string;
  status: number;
  statusName: string;
  owner: string | null;
  powerState: string;
  cpuCount: number;
  memory: number;
  osystem: string;
  distroSeries: string;
  userData: string | null;
  lastReleaseErase: boolean | null;
  interfaces: Array<{ mac: string }>;
}

async function machines(harness: MaasHarness): Promise<MachineState[]> {
  return ((await harness.control('GET', 'state')) as { machines: MachineState[] }).machines;
}

async function machine(harness: MaasHarness, systemId: string): Promise<MachineState> {
  const found = (await machines(harness)).find((m) => m.systemId === systemId);
  assert.ok(found, `machine ${systemId} exists`);
  return found;
}

/** Applies a prepare answer the way CloudStack does: details merge, NICs merge by network uuid. */
function applyPrepare(payload: ReturnType<typeof createPayload>, answer: Record<string, unknown>): ReturnType<typeof createPayload> {
  const vm = payload['cloudstack.vm.details'] as Record<string, unknown> & { details: Record<string, string>; nics: Array<Record<string, unknown>> };
  const details = { ...vm.details, ...(answer.details as Record<string, string>) };
  const patchNics = answer.nics as Array<Record<string, unknown>>;
  const nics = vm.nics.map((nic) => ({ ...nic, ...(patchNics.find((p) => p.uuid === nic.uuid) ?? {}) }));
  const external = Object.fromEntries(Object.entries(details).filter(([k]) => k.startsWith('External:')).map(([k, v]) => [k.slice('External:'.length), v]));
  const groups = payload.externaldetails as Record<string, Record<string, string>>;
  return {
    ...payload,
    externaldetails: { ...groups, virtualmachine: { ...(groups.virtualmachine ?? {}), ...external } },
    'cloudstack.vm.details': { ...vm, details, nics },
  };
}

describe('extorch-maas executable against the MAAS emulator', () => {
  let harness: MaasHarness;

  before(async () => {
    harness = await MaasHarness.start({ machines: 12 });
  });
  after(() => harness.close());
  beforeEach(async () => {
    await harness.control('POST', 'reset');
    await harness.control('DELETE', 'faults');
  });

  it('runs the whole lifecycle: prepare → create → stop → start → reboot → status → statuses → getconsole → delete', async () => {
    const base = createPayload({ host: hostDetails(harness.emulator), virtualmachine: { distro_series: 'jammy' }, cpus: 4, ramBytes: 8 * 1024 ** 3 });
    const prepared = await harness.invoke('prepare', base);
    assert.equal(prepared.code, 0, prepared.stdout);
    assert.equal(prepared.stderr, '');
    const details = prepared.json.details as Record<string, string>;
    const systemId = details['External:maas_system_id']!;
    const claimed = await machine(harness, systemId);
    assert.equal(claimed.statusName, 'Allocated');
    assert.ok(claimed.cpuCount >= 4 && claimed.memory >= 8192);
    assert.equal(details['External:mac_address'], claimed.interfaces[0]!.mac);
    assert.equal(details['External:hostname'], claimed.hostname);
    assert.equal(details['External:console_url'], `${harness.emulator.endpoint}/MAAS/r/machine/${systemId}/summary`);
    const nics = prepared.json.nics as Array<Record<string, unknown>>;
    const inputNics = base['cloudstack.vm.details'].nics as Array<Record<string, unknown>>;
    assert.deepEqual(nics.map((n) => n.uuid), inputNics.map((n) => n.uuid), 'each NIC echoes its network uuid');
    assert.deepEqual(nics.map((n) => n.mac), claimed.interfaces.map((i) => i.mac), 'boot MAC first, then the other NICs');

    const deployed = applyPrepare(base, prepared.json);
    const created = await harness.invoke('create', deployed);
    assert.equal(created.code, 0, created.stdout);
    assert.equal(created.json.status, 'success');
    assert.equal(created.json.message, 'Instance created');
    let state = await machine(harness, systemId);
    assert.equal(state.statusName, 'Deployed');
    assert.equal(state.hostname, 'i-2-45-VM', 'the machine is named after the instance');
    assert.equal(state.osystem, 'ubuntu');
    assert.equal(state.distroSeries, 'jammy');

    const stopped = await harness.invoke('stop', deployed);
    assert.deepEqual(stopped.json, { status: 'success', power_state: 'poweroff' });
    assert.equal((await machine(harness, systemId)).powerState, 'off');
    assert.deepEqual((await harness.invoke('status', deployed)).json, { status: 'success', power_state: 'poweroff' });

    const started = await harness.invoke('start', deployed);
    assert.deepEqual(started.json, { status: 'success', power_state: 'poweron' });

    await harness.control('DELETE', 'requests');
    const rebooted = await harness.invoke('reboot', deployed);
    assert.deepEqual(rebooted.json, { status: 'success', power_state: 'poweron', message: 'Reboot completed' });
    const counts = ((await harness.control('GET', 'requests')) as { byRoute: Record<string, number> }).byRoute;
    assert.equal(counts['POST machines/{system_id}/?op=power_off'], 1);
    assert.equal(counts['POST machines/{system_id}/?op=power_on'], 1);
    assert.ok((counts['GET machines/{system_id}/?op=query_power_state'] ?? 0) >= 2, 'waited for off, then on');

    const status = await harness.invoke('status', deployed);
    assert.deepEqual(status.json, { status: 'success', power_state: 'poweron' });
    const all = await harness.invoke('statuses', { externaldetails: { host: hostDetails(harness.emulator) } });
    assert.deepEqual(all.json, { status: 'success', power_state: { 'i-2-45-VM': 'poweron' } });

    const console = await harness.invoke('getconsole', deployed);
    assert.deepEqual(console.json, { status: 'success', console: { url: `${harness.emulator.endpoint}/MAAS/r/machine/${systemId}/summary`, protocol: 'direct' } });

    const deleted = await harness.invoke('delete', deployed);
    assert.equal(deleted.code, 0, deleted.stdout);
    assert.equal(deleted.json.message, `Instance deleted or not found (${systemId})`);
    state = await machine(harness, systemId);
    assert.ok(['Releasing', 'Disk erasing', 'Ready'].includes(state.statusName), state.statusName);
    assert.equal(state.lastReleaseErase, true, 'erase is on by default');
    const reqs = ((await harness.control('GET', 'requests')) as { byRoute: Record<string, number> }).byRoute;
    assert.equal(reqs['POST machines/{system_id}/?op=release'], 1);
    for (let i = 0; i < 300 && (await machine(harness, systemId)).statusName !== 'Ready'; i += 1) await new Promise((r) => setTimeout(r, 10));
    state = await machine(harness, systemId);
    assert.equal(state.statusName, 'Ready');
    assert.equal(state.owner, null);

    const again = await harness.invoke('delete', deployed);
    assert.equal(again.code, 0, 'deleting an already released machine succeeds');
    const unknown = applyPrepare(base, { details: { 'External:maas_system_id': 'zz9zz9' }, nics: [] });
    assert.equal((await harness.invoke('delete', unknown)).code, 0, 'deleting a machine MAAS does not know succeeds');
  });

  it('passes the erase detail through and deploys with user data and os', async () => {
    await harness.control('PUT', 'config', { stepMs: 30 });
    try {
      const base = createPayload({ host: hostDetails(harness.emulator), virtualmachine: { os: 'ubuntu', distro_series: 'noble', user_data: '#cloud-config\npackages: [htop]\n', erase: 'false', vm_name: 'web01' } });
      const prepared = await harness.invoke('prepare', base);
      const payload = applyPrepare(base, prepared.json);
      const systemId = (prepared.json.details as Record<string, string>)['External:maas_system_id']!;
      const created = await harness.invoke('create', payload);
      assert.equal(created.code, 0, created.stdout);
      const state = await machine(harness, systemId);
      assert.equal(state.hostname, 'web01');
      assert.equal(state.distroSeries, 'noble');
      // Detail values are trimmed (CloudStack details are single strings); the YAML is unchanged otherwise.
      assert.equal(Buffer.from(state.userData ?? '', 'base64').toString('utf8'), '#cloud-config\npackages: [htop]');
      assert.equal((await harness.invoke('delete', payload)).json.erase, false);
      assert.equal((await machine(harness, systemId)).lastReleaseErase, false, 'released without erase');
    } finally {
      await harness.control('PUT', 'config', { stepMs: 0 });
    }
  });

  it('pins the machine given as maas_system_id', async () => {
    const target = (await machines(harness))[7]!;
    const payload = createPayload({ host: hostDetails(harness.emulator), virtualmachine: { maas_system_id: target.systemId }, cpus: 1 });
    const prepared = await harness.invoke('prepare', payload);
    assert.equal(prepared.code, 0, prepared.stdout);
    assert.equal((prepared.json.details as Record<string, string>)['External:maas_system_id'], target.systemId);
    assert.equal((await machine(harness, target.systemId)).statusName, 'Allocated');
    const second = await harness.invoke('prepare', payload);
    assert.equal(second.code, 1);
    assert.equal(second.json.status, 'error');
    assert.match(String(second.json.error), new RegExp(`^MAAS API error: 409 No available machine matches constraints: \\[\\('system_id', \\['${target.systemId}'\\]\\)`));
  });

  it('undoes the allocation when the claimed machine cannot serve the instance, and omits an empty NIC list', async () => {
    const [bare] = (await harness.control('POST', 'machines', { count: 1, interfaces: 0 })) as Array<{ systemId: string }>;
    const pinned = createPayload({ host: hostDetails(harness.emulator), virtualmachine: { maas_system_id: bare!.systemId } });
    const failed = await harness.invoke('prepare', pinned);
    assert.equal(failed.code, 1);
    assert.deepEqual(failed.json, { status: 'error', error: `No MAC address found on MAAS machine ${bare!.systemId}` });
    for (let i = 0; i < 300 && (await machine(harness, bare!.systemId)).statusName !== 'Ready'; i += 1) await new Promise((r) => setTimeout(r, 10));
    assert.equal((await machine(harness, bare!.systemId)).statusName, 'Ready', 'the allocation was released');
    const noNics = await harness.invoke('prepare', createPayload({ host: hostDetails(harness.emulator), nics: [] }));
    assert.equal(noNics.code, 0, noNics.stdout);
    assert.ok(!('nics' in noNics.json), 'no nics key: an empty array would wipe CloudStack\'s NICs in the merge');
  });

  it('reports when no machine matches the instance size, claiming nothing', async () => {
    const payload = createPayload({ host: hostDetails(harness.emulator), cpus: 64, ramBytes: 512 * 1024 ** 3 });
    const result = await harness.invoke('prepare', payload);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, '');
    assert.match(String(result.json.error), /^MAAS API error: 409 No available machine matches constraints: \[\('cpu_count', \['64'\]\), \('mem', \['524288'\]\)/);
    assert.ok((await machines(harness)).every((m) => m.statusName === 'Ready'));
  });

  it('releases the machine again when the deployment fails', async () => {
    const base = createPayload({ host: hostDetails(harness.emulator) });
    const prepared = await harness.invoke('prepare', base);
    const systemId = (prepared.json.details as Record<string, string>)['External:maas_system_id']!;
    await harness.control('PUT', 'config', { failDeployments: [systemId] });
    try {
      const created = await harness.invoke('create', applyPrepare(base, prepared.json));
      assert.equal(created.code, 1);
      assert.equal(created.json.status, 'error');
      assert.match(String(created.json.error), new RegExp(`^Deployment of MAAS machine ${systemId} failed: status 'Failed deployment': Installation failed.*; the machine was released$`));
      const state = await machine(harness, systemId);
      assert.ok(['Releasing', 'Disk erasing', 'Ready'].includes(state.statusName), state.statusName);
    } finally {
      await harness.control('PUT', 'config', { failDeployments: false });
    }
  });

  it('releases the machine when the deadline passes before it is Deployed', async () => {
    await harness.control('PUT', 'config', { deployMs: 60_000 });
    try {
      const base = createPayload({ host: hostDetails(harness.emulator) });
      const prepared = await harness.invoke('prepare', base);
      const systemId = (prepared.json.details as Record<string, string>)['External:maas_system_id']!;
      const started = Date.now();
      const created = await harness.invoke('create', applyPrepare(base, prepared.json), 2);
      // Finished (machine released) within the 2 s CloudStack allows, plus process start-up under load.
      assert.ok(Date.now() - started < 8_000);
      assert.equal(created.code, 1);
      assert.match(String(created.json.error), new RegExp(`^Timed out waiting for MAAS machine ${systemId} to be Deployed; the machine was released$`));
      assert.notEqual((await machine(harness, systemId)).statusName, 'Deploying');
    } finally {
      await harness.control('PUT', 'config', { stepMs: 0 });
    }
  });

  it('deploys again after a failed attempt released the machine, and refuses to delete a machine now owned by someone else', async () => {
    const base = createPayload({ host: hostDetails(harness.emulator) });
    const prepared = await harness.invoke('prepare', base);
    const systemId = (prepared.json.details as Record<string, string>)['External:maas_system_id']!;
    const payload = applyPrepare(base, prepared.json);
    await harness.control('PUT', 'config', { failNextDeployments: 1 });
    assert.equal((await harness.invoke('create', payload)).code, 1);
    for (let i = 0; i < 300 && (await machine(harness, systemId)).statusName !== 'Ready'; i += 1) await new Promise((r) => setTimeout(r, 10));
    const retried = await harness.invoke('create', payload);
    assert.equal(retried.code, 0, retried.stdout);
    assert.equal((await machine(harness, systemId)).statusName, 'Deployed');
    assert.equal((await harness.invoke('delete', payload)).code, 0);
    for (let i = 0; i < 300 && (await machine(harness, systemId)).statusName !== 'Ready'; i += 1) await new Promise((r) => setTimeout(r, 10));
    // Another MAAS user takes the machine; deleting the old instance must not report success for it.
    const other = (await harness.control('POST', 'users', { username: `tenant-${Date.now()}` })) as { apikey: string };
    const theirs = createPayload({ host: hostDetails(harness.emulator, { apikey: other.apikey }), virtualmachine: { maas_system_id: systemId } });
    assert.equal((await harness.invoke('prepare', theirs)).code, 0);
    const refused = await harness.invoke('delete', payload);
    assert.equal(refused.code, 1);
    assert.deepEqual(refused.json, { status: 'error', error: 'MAAS API error: 403 Forbidden' });
  });

  it('rejects a malformed API key before any request', async () => {
    await harness.control('DELETE', 'requests');
    for (const apikey of ['only:two', 'a:b:c:d', 'no-colons', 'a::c']) {
      const result = await harness.invoke('prepare', createPayload({ host: hostDetails(harness.emulator, { apikey }) }));
      assert.equal(result.code, 1);
      assert.deepEqual(result.json, { status: 'error', error: 'Invalid apikey format. Expected consumer:token:secret' });
    }
    const missing = await harness.invoke('status', createPayload({ host: { endpoint: harness.emulator.endpoint } }));
    assert.deepEqual(missing.json, { status: 'error', error: 'Missing MAAS endpoint or apikey' });
    assert.equal(((await harness.control('GET', 'requests')) as { total: number }).total, 0);
  });

  it('reports a wrong key as MAAS does (401) without echoing the key', async () => {
    const wrongKey = 'aaaaaaaaaaaaaaaaaa:bbbbbbbbbbbbbbbbbb:cccccccccccccccccccccccccccccccc';
    const result = await harness.invoke('prepare', createPayload({ host: hostDetails(harness.emulator, { apikey: wrongKey }) }));
    assert.equal(result.code, 1);
    assert.deepEqual(result.json, { status: 'error', error: 'MAAS API error: 401 Authorization Error: Invalid API key.' });
    const [consumer, token] = harness.emulator.apikey.split(':');
    const badSecret = await harness.invoke('status', createPayload({ host: hostDetails(harness.emulator, { apikey: `${consumer}:${token}:not-the-secret` }), virtualmachine: { maas_system_id: 'abc123' } }));
    assert.equal(badSecret.json.error, "MAAS API error: 401 Authorization Error: 'Invalid signature.'");
    assert.ok(!badSecret.stdout.includes('not-the-secret'));
  });

  it('lets host details win over extension details', async () => {
    const payload = createPayload({
      host: hostDetails(harness.emulator),
      extension: { endpoint: 'http://192.0.2.1:1', apikey: 'x:y:z' },
    });
    const result = await harness.invoke('prepare', payload);
    assert.equal(result.code, 0, result.stdout);
  });

  it('gives 10 concurrent prepares 10 different machines', async () => {
    await harness.control('POST', 'reset');
    const payloads = Array.from({ length: 10 }, (_, i) => createPayload({ host: hostDetails(harness.emulator), internalName: `i-2-${100 + i}-VM`, cpus: 1 }));
    const results = await Promise.all(payloads.map((payload) => harness.invoke('prepare', payload)));
    for (const result of results) assert.equal(result.code, 0, result.stdout);
    const ids = results.map((r) => (r.json.details as Record<string, string>)['External:maas_system_id']);
    assert.equal(new Set(ids).size, 10, `distinct machines: ${ids.join(',')}`);
    const allocated = (await machines(harness)).filter((m) => m.statusName === 'Allocated');
    assert.equal(allocated.length, 10);
  });

  it('answers unknown actions and missing machine ids with the error JSON', async () => {
    const payload = createPayload({ host: hostDetails(harness.emulator) });
    assert.deepEqual((await harness.invoke('snapshot', payload)).json, { status: 'error', error: 'Invalid action' });
    assert.deepEqual((await harness.invoke('start', payload)).json, { status: 'error', error: 'system_id missing for start' });
    const ghost = createPayload({ host: hostDetails(harness.emulator), virtualmachine: { maas_system_id: 'nope42' } });
    assert.deepEqual((await harness.invoke('status', ghost)).json, { status: 'error', error: 'MAAS API error: 404 No Machine matches the given query.' });
  });
});
