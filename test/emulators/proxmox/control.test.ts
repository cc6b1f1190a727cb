import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { TransportError } from '../../../src/clients/http/client.ts';
import { startEmulator } from './helpers.ts';
import type { TestApi } from './helpers.ts';

describe('proxmox emulator: control API and fault injection', () => {
  let api: TestApi;
  let stop: () => Promise<void>;
  before(async () => {
    ({ api, stop } = await startEmulator({ nodes: ['pve1', 'pve2'] }));
  });
  after(() => stop());
  beforeEach(async () => {
    await api.resetAll();
    await api.control('DELETE', 'requests');
  });

  it('dumps the initial state: storages, ISO and template per the interface', async () => {
    const { json } = await api.control('GET', 'state');
    const nodes = json.nodes as Record<string, { vms: Array<Record<string, unknown>>; storages: Array<Record<string, unknown>> }>;
    assert.deepEqual(Object.keys(nodes), ['pve1', 'pve2']);
    const template = nodes.pve1!.vms[0]!;
    assert.equal(template.vmid, 9000);
    assert.equal(template.name, 'ubuntu-24.04-template');
    assert.equal(template.template, true);
    assert.equal((template.config as Record<string, string>).scsi0, 'ceph-vm:base-9000-disk-0,iothread=1,size=8G');
    assert.deepEqual(nodes.pve2!.vms, []);
    for (const node of ['pve1', 'pve2']) {
      const storages = nodes[node]!.storages;
      assert.deepEqual(storages.map((storage) => [storage.storage, storage.shared]), [['local', false], ['local-lvm', false], ['ceph-vm', true]]);
      const local = storages[0]!.volumes as Array<{ volid: string }>;
      assert.deepEqual(local.map((volume) => volume.volid), ['local:iso/ubuntu-24.04-live-server-amd64.iso']);
    }
    assert.deepEqual(json.tasks, []);
  });

  it('creates foreign VMs, migrates them, and resets to the initial state', async () => {
    const created = await api.control('POST', 'vms', { node: 'pve1', vmid: 400, name: 'foreign', status: 'running', tags: 'other-tenant', description: 'not ours' });
    assert.equal(created.status, 201);
    assert.equal((await api.control('POST', 'vms', { node: 'pve1', vmid: 400, name: 'again' })).status, 409);
    assert.equal((await api.control('POST', 'vms', { node: 'pve1', vmid: 400 })).status, 400);
    const listed = (await api.ok('GET', '/nodes/pve1/qemu')) as Array<Record<string, unknown>>;
    assert.deepEqual(listed.find((vm) => vm.vmid === 400), { ...listed.find((vm) => vm.vmid === 400), name: 'foreign', status: 'running', tags: 'other-tenant' });
    const migrated = await api.control('POST', 'vms/400/migrate', { target: 'pve2' });
    assert.equal(migrated.json.node, 'pve2');
    assert.equal((await api.get('/nodes/pve1/qemu/400/status/current')).status, 500);
    assert.equal(((await api.ok('GET', '/nodes/pve2/qemu/400/status/current')) as Record<string, unknown>).status, 'running');
    const content = (await api.ok('GET', '/nodes/pve2/storage/local-lvm/content')) as Array<{ volid: string }>;
    assert.deepEqual(content.map((volume) => volume.volid), ['local-lvm:vm-400-disk-0']);
    await api.control('POST', 'reset');
    assert.equal((await api.get('/nodes/pve2/qemu/400/status/current')).status, 500);
  });

  it('injects error statuses with a reason phrase, limited by times', async () => {
    const added = await api.control('POST', 'faults', { method: 'GET', path: '/cluster/nextid$', status: 503, message: 'Service Unavailable - injected', times: 2 });
    assert.equal(added.status, 201);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const response = await api.get('/cluster/nextid');
      assert.equal(response.status, 503);
      assert.equal(response.statusText, 'Service Unavailable - injected');
      assert.deepEqual(response.json, { data: null, message: 'Service Unavailable - injected\n' });
    }
    assert.equal((await api.get('/cluster/nextid')).status, 200);
    const bad = await api.control('POST', 'faults', { status: 200 });
    assert.equal(bad.status, 400);
  });

  it('injects latency and dropped connections, and lists and clears rules', async () => {
    await api.control('POST', 'faults', { path: '/version$', latencyMs: 120, times: 1 });
    const started = Date.now();
    assert.equal((await api.get('/version')).status, 200);
    assert.ok(Date.now() - started >= 100);
    await api.control('POST', 'faults', { path: '/nodes$', drop: true });
    await assert.rejects(api.get('/nodes'), (error: unknown) => error instanceof TransportError);
    const listed = await api.control('GET', 'faults');
    assert.equal((listed.json.faults as unknown[]).length, 1);
    await api.control('DELETE', 'faults');
    assert.equal((await api.get('/nodes')).status, 200);
  });

  it('fails named task types on demand and clears that with {}', async () => {
    await api.control('POST', 'vms', { node: 'pve1', vmid: 401, name: 'victim' });
    const config = await api.control('PUT', 'config', { failTasks: { qmstart: 'start failed: QEMU exited with code 1' } });
    assert.deepEqual(config.json.failTasks, { qmstart: 'start failed: QEMU exited with code 1' });
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/401/status/start'), 'start failed: QEMU exited with code 1');
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/401/status/stop'), 'OK');
    await api.control('PUT', 'config', { failTasks: {} });
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/401/status/start'), 'OK');
    assert.equal((await api.control('PUT', 'config', { taskDurationMs: -1 })).status, 400);
    assert.equal((await api.control('PUT', 'config', { unknown: 1 })).status, 400);
  });

  it('keeps fault rules and timing across a reset', async () => {
    await api.control('PUT', 'config', { taskDurationMs: 5, failTasks: { qmstop: 'nope' } });
    await api.control('POST', 'faults', { path: '/nothing-matches-this$', status: 500 });
    await api.control('POST', 'reset');
    const config = await api.control('PUT', 'config', {});
    assert.equal(config.json.taskDurationMs, 5);
    assert.deepEqual(config.json.failTasks, { qmstop: 'nope' });
    assert.equal(((await api.control('GET', 'faults')).json.faults as unknown[]).length, 1);
  });

  it('counts requests per route template', async () => {
    await api.get('/cluster/nextid');
    await api.get('/nodes/pve1/qemu/9000/config');
    await api.get('/nodes/pve1/qemu/9000/config');
    await api.post('/nodes/pve1/qemu/9000/clone', { newid: 402 });
    const { json } = await api.control('GET', 'requests');
    assert.equal(json.total, 4);
    assert.deepEqual(json.byRoute, {
      'GET /cluster/nextid': 1,
      'GET /nodes/{node}/qemu/{vmid}/config': 2,
      'POST /nodes/{node}/qemu/{vmid}/clone': 1,
    });
  });
});

describe('proxmox emulator: state file', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'extorch-pve-state-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('saves on close and restores VMs, snapshots and the token secret at the next start', async () => {
    const stateFile = join(dir, 'state.json');
    const first = await startEmulator({ nodes: ['alpha', 'beta'], stateFile });
    assert.equal(await first.api.runTask('POST', '/nodes/alpha/qemu/9000/clone', { newid: 500, name: 'kept', target: 'beta' }), 'OK');
    await first.api.runTask('POST', '/nodes/beta/qemu/500/status/start');
    await first.api.runTask('POST', '/nodes/beta/qemu/500/snapshot', { snapname: 'keep' });
    const secret = first.emulator.secret;
    await first.stop();
    assert.equal((await stat(stateFile)).mode & 0o777, 0o600);
    assert.match(await readFile(stateFile, 'utf8'), /"format": "extorch-proxmox-emulator\/1"/);

    const second = await startEmulator({ nodes: ['ignored'], stateFile });
    try {
      assert.equal(second.emulator.secret, secret);
      assert.deepEqual(second.emulator.nodes, ['alpha', 'beta']);
      const status = (await second.api.ok('GET', '/nodes/beta/qemu/500/status/current')) as Record<string, unknown>;
      assert.equal(status.name, 'kept');
      assert.equal(status.status, 'running');
      const snapshots = (await second.api.ok('GET', '/nodes/beta/qemu/500/snapshot')) as Array<{ name: string }>;
      assert.deepEqual(snapshots.map((snapshot) => snapshot.name), ['keep', 'current']);
    } finally {
      await second.stop();
    }
  });

  it('destroys unreferenced disks only when asked to', async () => {
    const stateFile = join(dir, 'orphans.json');
    const seed = await startEmulator({ stateFile });
    await seed.api.control('POST', 'vms', { node: 'pve1', vmid: 600, name: 'with-orphan' });
    await seed.api.control('POST', 'vms', { node: 'pve1', vmid: 601, name: 'with-orphan-too' });
    await seed.stop();
    // A disk of each VM that its config no longer mentions (e.g. left by an interrupted operation).
    const { writeFile } = await import('node:fs/promises');
    const saved = JSON.parse(await readFile(stateFile, 'utf8')) as { cluster: { volumes: Array<Record<string, unknown>> } };
    for (const vmid of [600, 601]) {
      saved.cluster.volumes.push({ volid: `local-lvm:vm-${vmid}-disk-1`, storage: 'local-lvm', node: 'pve1', content: 'images', format: 'raw', sizeBytes: 1024, vmid, ctime: 1 });
    }
    await writeFile(stateFile, JSON.stringify(saved));
    const restored = await startEmulator({ stateFile });
    try {
      const volids = async () => ((await restored.api.ok('GET', '/nodes/pve1/storage/local-lvm/content')) as Array<{ volid: string }>).map((volume) => volume.volid).sort();
      assert.deepEqual(await volids(), ['local-lvm:vm-600-disk-0', 'local-lvm:vm-600-disk-1', 'local-lvm:vm-601-disk-0', 'local-lvm:vm-601-disk-1']);
      assert.equal(await restored.api.runTask('DELETE', '/nodes/pve1/qemu/600'), 'OK');
      assert.deepEqual(await volids(), ['local-lvm:vm-600-disk-1', 'local-lvm:vm-601-disk-0', 'local-lvm:vm-601-disk-1']);
      assert.equal(await restored.api.runTask('DELETE', '/nodes/pve1/qemu/601', { 'destroy-unreferenced-disks': 1, purge: 1 }), 'OK');
      assert.deepEqual(await volids(), ['local-lvm:vm-600-disk-1']);
    } finally {
      await restored.stop();
    }
  });

  it('refuses a state file that is not one of ours', async () => {
    const stateFile = join(dir, 'bad.json');
    await import('node:fs/promises').then(({ writeFile }) => writeFile(stateFile, '{"hello":1}'));
    await assert.rejects(startEmulator({ stateFile }), /is not an extorch Proxmox emulator state/);
  });
});
