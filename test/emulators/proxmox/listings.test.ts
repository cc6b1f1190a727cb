import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startEmulator } from './helpers.ts';
import type { TestApi } from './helpers.ts';

type Row = Record<string, unknown>;

describe('proxmox emulator: listings, filters and less common options', () => {
  let api: TestApi;
  let stop: () => Promise<void>;
  before(async () => {
    ({ api, stop } = await startEmulator({ nodes: ['pve1', 'pve2'] }));
  });
  after(() => stop());
  beforeEach(async () => {
    await api.resetAll();
  });

  it('filters /cluster/resources by type', async () => {
    await api.control('POST', 'vms', { node: 'pve2', vmid: 700, name: 'tagged', tags: 'cloudstack;owner-1', status: 'running' });
    const all = (await api.ok('GET', '/cluster/resources')) as Row[];
    assert.deepEqual([...new Set(all.map((row) => row.type))].sort(), ['node', 'qemu', 'sdn', 'storage']);
    const nodes = (await api.ok('GET', '/cluster/resources', { type: 'node' })) as Row[];
    assert.deepEqual(nodes.map((row) => row.id), ['node/pve1', 'node/pve2']);
    const storages = (await api.ok('GET', '/cluster/resources', { type: 'storage' })) as Row[];
    assert.equal(storages.length, 6);
    assert.ok(storages.some((row) => row.id === 'storage/pve2/ceph-vm' && row.shared === 1 && row.plugintype === 'rbd'));
    const vms = (await api.ok('GET', '/cluster/resources', { type: 'vm' })) as Row[];
    assert.deepEqual(
      vms.map((row) => [row.vmid, row.node, row.status, row.tags]),
      [
        [700, 'pve2', 'running', 'cloudstack;owner-1'],
        [9000, 'pve1', 'stopped', undefined],
      ],
    );
    const bad = await api.get('/cluster/resources', { type: 'lxc' });
    assert.deepEqual(bad.json!.errors, { type: "value 'lxc' does not have a value in the enumeration 'vm, storage, node, sdn'" });
  });

  it('adds qmpstatus with full=1 and marks only templates with template: 1', async () => {
    await api.control('POST', 'vms', { node: 'pve1', vmid: 701, name: 'plain' });
    const plain = (await api.ok('GET', '/nodes/pve1/qemu')) as Row[];
    assert.equal(plain.find((row) => row.vmid === 701)!.template, undefined);
    assert.equal(plain.find((row) => row.vmid === 9000)!.template, 1);
    assert.equal(plain[0]!.qmpstatus, undefined);
    const full = (await api.ok('GET', '/nodes/pve1/qemu', { full: 1 })) as Row[];
    assert.equal(full.find((row) => row.vmid === 701)!.qmpstatus, 'stopped');
  });

  it('lists a storage content filtered by vmid and content type', async () => {
    await api.control('POST', 'vms', { node: 'pve1', vmid: 702, name: 'a' });
    await api.control('POST', 'vms', { node: 'pve1', vmid: 703, name: 'b' });
    const only = (await api.ok('GET', '/nodes/pve1/storage/local-lvm/content', { vmid: 703 })) as Row[];
    assert.deepEqual(only.map((row) => row.volid), ['local-lvm:vm-703-disk-0']);
    const images = (await api.ok('GET', '/nodes/pve1/storage/ceph-vm/content', { content: 'images' })) as Row[];
    assert.deepEqual(images.map((row) => row.volid), ['ceph-vm:base-9000-disk-0']);
    const bad = await api.get('/nodes/pve1/storage/local/content', { content: 'movies' });
    assert.deepEqual(bad.json!.errors, { content: "invalid format - invalid content type 'movies'\n" });
  });

  it('serves the task directory index and pages task logs', async () => {
    const upid = String(await api.ok('POST', '/nodes/pve1/qemu/9000/clone', { newid: 704, full: 1 }));
    await api.waitTask(upid);
    assert.deepEqual(await api.ok('GET', `/nodes/pve1/tasks/${encodeURIComponent(upid)}`), [{ name: 'log' }, { name: 'status' }]);
    const full = await api.get(`/nodes/pve1/tasks/${encodeURIComponent(upid)}/log`);
    const lines = full.data as Array<{ n: number; t: string }>;
    assert.equal(lines[0]!.t, 'create full clone of drive scsi0 (ceph-vm:base-9000-disk-0)');
    assert.equal(lines.at(-1)!.t, 'TASK OK');
    const page = (await api.ok('GET', `/nodes/pve1/tasks/${encodeURIComponent(upid)}/log`, { start: 1, limit: 1 })) as Array<{ n: number }>;
    assert.deepEqual(page.map((line) => line.n), [2]);
    const active = (await api.ok('GET', '/nodes/pve1/tasks', { source: 'active' })) as Row[];
    assert.deepEqual(active, []);
    assert.equal((await api.get(`/nodes/pve2/tasks/${encodeURIComponent(upid)}/status`)).json!.errors !== undefined, true, 'a task is only found on its node');
  });

  it('stops a running task with DELETE, which undoes its work', async () => {
    await api.control('PUT', 'config', { taskDurationMs: 5000 });
    const upid = String(await api.ok('POST', '/nodes/pve1/qemu/9000/clone', { newid: 714, name: 'doomed' }));
    assert.deepEqual((await api.delete(`/nodes/pve1/tasks/${encodeURIComponent(upid)}`)).json, { data: null });
    assert.equal((await api.waitTask(upid)).exitstatus, 'clone failed: interrupted by signal');
    assert.equal((await api.get('/nodes/pve1/qemu/714/config')).status, 500, 'the half-made clone is gone');
    const again = await api.delete(`/nodes/pve1/tasks/${encodeURIComponent(upid)}`);
    assert.deepEqual(again.json, { data: null }, 'stopping a finished task is harmless');
  });

  it('clones from a snapshot', async () => {
    await api.control('POST', 'vms', { node: 'pve1', vmid: 705, name: 'source' });
    await api.runTask('POST', '/nodes/pve1/qemu/705/snapshot', { snapname: 'before' });
    await api.put('/nodes/pve1/qemu/705/config', { cores: 6 });
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/705/clone', { newid: 706, snapname: 'before' }), 'OK');
    const clone = (await api.ok('GET', '/nodes/pve1/qemu/706/config')) as Row;
    assert.equal(clone.cores, 1);
    assert.equal(clone.parent, undefined);
    const missing = await api.post('/nodes/pve1/qemu/705/clone', { newid: 707, snapname: 'nope' });
    assert.equal(missing.statusText, "snapshot 'nope' does not exist");
    const conflict = await api.get('/nodes/pve1/qemu/705/config', { snapshot: 'before', current: 1 });
    assert.deepEqual(conflict.json!.errors, { snapshot: "cannot use 'snapshot' parameter with 'current'", current: "cannot use 'snapshot' parameter with 'current'" });
  });

  it('hibernates with suspend todisk=1 and resumes on start', async () => {
    await api.control('POST', 'vms', { node: 'pve1', vmid: 708, name: 'sleepy', status: 'running' });
    const upid = String(await api.ok('POST', '/nodes/pve1/qemu/708/status/suspend', { todisk: 1 }));
    assert.match(upid, /:qmsuspend:708:/);
    assert.equal((await api.waitTask(upid)).exitstatus, 'OK');
    const hibernated = (await api.ok('GET', '/nodes/pve1/qemu/708/status/current')) as Row;
    assert.deepEqual([hibernated.status, hibernated.lock], ['stopped', 'suspended']);
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/708/status/start'), 'OK');
    const resumed = (await api.ok('GET', '/nodes/pve1/qemu/708/status/current')) as Row;
    assert.deepEqual([resumed.status, resumed.lock], ['running', undefined]);
  });

  it('creates a template directly and starts a created VM with start=1', async () => {
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu', { vmid: 709, name: 'golden', scsi0: 'local-lvm:2', template: 1 }), 'OK');
    const golden = (await api.ok('GET', '/nodes/pve1/qemu/709/config')) as Row;
    assert.equal(golden.template, 1);
    assert.equal(golden.scsi0, 'local-lvm:base-709-disk-0,size=2G');
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu', { vmid: 710, name: 'eager', start: 1 }), 'OK');
    assert.equal(((await api.ok('GET', '/nodes/pve1/qemu/710/status/current')) as Row).status, 'running');
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu', { vmid: 713, cdrom: 'local:iso/ubuntu-24.04-live-server-amd64.iso' }), 'OK');
    assert.equal(((await api.ok('GET', '/nodes/pve1/qemu/713/config')) as Row).ide2, 'local:iso/ubuntu-24.04-live-server-amd64.iso,media=cdrom');
    await api.put('/nodes/pve1/qemu/713/config', { delete: 'cdrom' });
    assert.equal(((await api.ok('GET', '/nodes/pve1/qemu/713/config')) as Row).ide2, undefined);
    const noImages = await api.post('/nodes/pve1/qemu', { vmid: 711, scsi0: 'local:4' });
    assert.equal(noImages.statusText, "storage 'local' does not support vm images");
    const noStorage = await api.post('/nodes/pve1/qemu', { vmid: 711, scsi0: 'nfs-store:4' });
    assert.equal(noStorage.statusText, "storage 'nfs-store' does not exist");
  });

  it('waits for a config task with background_delay', async () => {
    await api.control('POST', 'vms', { node: 'pve1', vmid: 712, name: 'patient' });
    assert.deepEqual((await api.post('/nodes/pve1/qemu/712/config', { cores: 3, background_delay: 5 })).json, { data: null });
    assert.equal(((await api.ok('GET', '/nodes/pve1/qemu/712/config')) as Row).cores, 3);
    await api.control('PUT', 'config', { failTasks: { qmconfig: 'hotplug problem' } });
    const failed = await api.post('/nodes/pve1/qemu/712/config', { cores: 4, background_delay: 5 });
    assert.equal(failed.status, 500);
    assert.equal(failed.statusText, 'failed to update VM 712: hotplug problem');
    await api.control('PUT', 'config', { failTasks: {}, taskDurationMs: 1500 });
    const slow = await api.post('/nodes/pve1/qemu/712/config', { cores: 5, background_delay: 1 });
    assert.match(String(slow.data), /^UPID:pve1:.*:qmconfig:712:/, 'still running after the delay: the UPID');
  });
});
