import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startEmulator } from './helpers.ts';
import type { TestApi } from './helpers.ts';

type Config = Record<string, unknown>;

describe('proxmox emulator: clones, templates and storage locks', () => {
  let api: TestApi;
  let stop: () => Promise<void>;
  before(async () => {
    ({ api, stop } = await startEmulator({ nodes: ['pve1', 'pve2'] }));
  });
  after(() => stop());
  beforeEach(async () => {
    await api.resetAll();
  });

  const config = (node: string, vmid: number) => api.ok('GET', `/nodes/${node}/qemu/${vmid}/config`) as Promise<Config>;

  it('makes a linked clone of a template by default, with new MACs and identity', async () => {
    const template = await config('pve1', 9000);
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/9000/clone', { newid: 200, name: 'linked' }), 'OK');
    const clone = await config('pve1', 200);
    assert.equal(clone.name, 'linked');
    assert.equal(clone.template, undefined);
    assert.equal(clone.scsi0, 'ceph-vm:base-9000-disk-0/vm-200-disk-0,iothread=1,size=8G');
    assert.notEqual(clone.net0, template.net0);
    assert.match(String(clone.net0), /^virtio=BC:24:11:[0-9A-F:]{8},bridge=vmbr0,firewall=1$/);
    assert.notEqual(clone.smbios1, template.smbios1);
    const withoutName = await api.runTask('POST', '/nodes/pve1/qemu/9000/clone', { newid: 201 });
    assert.equal(withoutName, 'OK');
    assert.equal((await config('pve1', 201)).name, 'Copy-of-VM-ubuntu-24.04-template');
    assert.notEqual((await config('pve1', 201)).vmgenid, template.vmgenid);
  });

  it('keeps a template base disk that linked clones still use when the template is destroyed', async () => {
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/9000/clone', { newid: 230 }), 'OK');
    assert.equal(await api.runTask('DELETE', '/nodes/pve1/qemu/9000'), 'WARNINGS: 1');
    const content = (await api.ok('GET', '/nodes/pve1/storage/ceph-vm/content')) as Array<{ volid: string }>;
    assert.deepEqual(content.map((volume) => volume.volid).sort(), ['ceph-vm:base-9000-disk-0', 'ceph-vm:base-9000-disk-0/vm-230-disk-0']);
    assert.equal(await api.runTask('DELETE', '/nodes/pve1/qemu/230'), 'OK');
    assert.deepEqual((await api.ok('GET', '/nodes/pve1/storage/ceph-vm/content')) as unknown[], [{ ...(content.find((volume) => volume.volid === 'ceph-vm:base-9000-disk-0') as object) }]);
  });

  it('makes full clones onto the requested storage and refuses storage for linked clones', async () => {
    const linkedWithStorage = await api.post('/nodes/pve1/qemu/9000/clone', { newid: 202, storage: 'local-lvm' });
    assert.equal(linkedWithStorage.status, 500);
    assert.equal(linkedWithStorage.statusText, "parameter 'storage' not allowed for linked clones");
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/9000/clone', { newid: 202, full: 1, storage: 'local-lvm', name: 'full', description: 'cs-uuid' }), 'OK');
    const clone = await config('pve1', 202);
    assert.equal(clone.scsi0, 'local-lvm:vm-202-disk-0,iothread=1,size=8G');
    assert.equal(clone.description, 'cs-uuid');
    const content = (await api.ok('GET', '/nodes/pve1/storage/local-lvm/content')) as Array<{ volid: string }>;
    assert.deepEqual(content.map((volume) => volume.volid), ['local-lvm:vm-202-disk-0']);
    // A normal VM is fully cloned by default; a linked clone of it is impossible.
    const linkedOfVm = await api.post('/nodes/pve1/qemu/202/clone', { newid: 203, full: 0 });
    assert.equal(linkedOfVm.statusText, "Linked clone feature is not supported for drive 'scsi0'");
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/202/clone', { newid: 203 }), 'OK');
    assert.equal((await config('pve1', 203)).scsi0, 'local-lvm:vm-203-disk-0,iothread=1,size=8G');
  });

  it('refuses clones onto an existing id and of missing VMs, before forking', async () => {
    await api.control('POST', 'vms', { node: 'pve2', vmid: 204, name: 'foreign' });
    const taken = await api.post('/nodes/pve1/qemu/9000/clone', { newid: 204 });
    assert.equal(taken.status, 500);
    assert.equal(taken.statusText, 'unable to create VM 204: config file already exists');
    const missing = await api.post('/nodes/pve1/qemu/9999/clone', { newid: 205 });
    assert.equal(missing.statusText, "Configuration file 'nodes/pve1/qemu-server/9999.conf' does not exist");
    const state = await api.control('GET', 'state');
    const pve2 = (state.json.nodes as Record<string, { vms: Array<{ vmid: number; name: string }> }>).pve2!;
    assert.deepEqual(pve2.vms.map((vm) => [vm.vmid, vm.name]), [[204, 'foreign']], 'the foreign VM is untouched');
  });

  it('locks the new VM with lock: clone while the task runs', async () => {
    await api.control('PUT', 'config', { taskDurationMs: 1500 });
    const upid = String(await api.ok('POST', '/nodes/pve1/qemu/9000/clone', { newid: 206, name: 'busy' }));
    assert.match(upid, /:qmclone:9000:root@pam!extorch:$/);
    const list = (await api.ok('GET', '/nodes/pve1/qemu')) as Array<Record<string, unknown>>;
    assert.equal(list.find((vm) => vm.vmid === 206)!.lock, 'clone');
    const put = await api.put('/nodes/pve1/qemu/206/config', { cores: 2 });
    assert.equal(put.status, 500);
    assert.equal(put.statusText, 'VM is locked (clone)');
    // update_vm_api checks the lock before forking, so the async POST fails synchronously too.
    const post = await api.post('/nodes/pve1/qemu/206/config', { cores: 2 });
    assert.equal(post.status, 500);
    assert.equal(post.statusText, 'VM is locked (clone)');
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/206/status/start'), 'VM is locked (clone)');
    const skiplock = await api.put('/nodes/pve1/qemu/206/config', { cores: 2, skiplock: 1 });
    assert.deepEqual(skiplock.json!.errors, { skiplock: 'Only root may use this option.' }, 'an API token is not root@pam');
    const resources = (await api.ok('GET', '/cluster/resources', { type: 'vm' })) as Array<Record<string, unknown>>;
    assert.equal(resources.find((vm) => vm.vmid === 206)!.lock, 'clone');
    assert.equal((await api.waitTask(upid)).exitstatus, 'OK');
    assert.equal((await config('pve1', 206)).lock, undefined);
  });

  it('clones a template on shared storage to another node with target, but not from local storage', async () => {
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/9000/clone', { newid: 207, name: 'remote', target: 'pve2' }), 'OK');
    assert.equal((await config('pve2', 207)).name, 'remote');
    assert.equal((await api.get('/nodes/pve1/qemu/207/config')).status, 500);
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/9000/clone', { newid: 208, full: 1, target: 'pve2' }), 'OK');
    assert.equal((await config('pve2', 208)).scsi0, 'ceph-vm:vm-208-disk-0,iothread=1,size=8G');
    const toLocal = await api.post('/nodes/pve1/qemu/9000/clone', { newid: 209, full: 1, storage: 'local-lvm', target: 'pve2' });
    assert.equal(toLocal.statusText, "can't clone to non-shared storage 'local-lvm'");
    await api.control('POST', 'vms', { node: 'pve1', vmid: 210, name: 'local-template', template: true });
    const fromLocal = await api.post('/nodes/pve1/qemu/210/clone', { newid: 211, target: 'pve2' });
    assert.equal(fromLocal.statusText, "can't clone VM to node 'pve2' (VM uses local storage)");
    const unknownNode = await api.post('/nodes/pve1/qemu/9000/clone', { newid: 211, target: 'pve7' });
    assert.equal(unknownNode.statusText, "no such cluster node 'pve7'");
  });

  it('removes the half-made clone when the task fails', async () => {
    await api.control('PUT', 'config', { failTasks: { qmclone: 'clone failed: rbd error: rbd: listing images failed' } });
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/9000/clone', { newid: 212, full: 1, storage: 'local-lvm' }), 'clone failed: rbd error: rbd: listing images failed');
    assert.equal((await api.get('/nodes/pve1/qemu/212/config')).status, 500);
    assert.deepEqual(await api.ok('GET', '/nodes/pve1/storage/local-lvm/content'), []);
  });

  it('serialises full clones on a storage lock and times waiters out like the real cluster', async () => {
    await api.control('PUT', 'config', { taskDurationMs: 0, fullCloneDurationMs: 400, storageLockTimeoutMs: 100 });
    const first = String(await api.ok('POST', '/nodes/pve1/qemu/9000/clone', { newid: 213, full: 1, storage: 'local-lvm' }));
    const second = String(await api.ok('POST', '/nodes/pve1/qemu/9000/clone', { newid: 214, full: 1, storage: 'local-lvm' }));
    // Another node's local-lvm is a different lock.
    const elsewhere = String(await api.ok('POST', '/nodes/pve1/qemu/9000/clone', { newid: 215, full: 1, target: 'pve2' }));
    const [a, b, c] = await Promise.all([api.waitTask(first), api.waitTask(second), api.waitTask(elsewhere)]);
    assert.equal(a.exitstatus, 'OK');
    assert.equal(b.exitstatus, "clone failed: can't lock file '/var/lock/pve-manager/pve-storage-local-lvm' - got timeout");
    assert.equal(c.exitstatus, 'OK');
    assert.equal((await api.get('/nodes/pve1/qemu/214/config')).status, 500, 'the timed-out clone left nothing behind');
    // With a longer timeout the waiter gets the lock after the holder.
    await api.control('PUT', 'config', { fullCloneDurationMs: 100, storageLockTimeoutMs: 2000 });
    const third = String(await api.ok('POST', '/nodes/pve1/qemu/9000/clone', { newid: 216, full: 1, storage: 'local-lvm' }));
    const fourth = String(await api.ok('POST', '/nodes/pve1/qemu/9000/clone', { newid: 217, full: 1, storage: 'local-lvm' }));
    const results = await Promise.all([api.waitTask(third), api.waitTask(fourth)]);
    assert.deepEqual(results.map((result) => result.exitstatus), ['OK', 'OK']);
  });

  it('a new disk at create time holds the storage lock too', async () => {
    await api.control('PUT', 'config', { fullCloneDurationMs: 300, storageLockTimeoutMs: 50 });
    const clone = String(await api.ok('POST', '/nodes/pve1/qemu/9000/clone', { newid: 218, full: 1, storage: 'local-lvm' }));
    const create = String(await api.ok('POST', '/nodes/pve1/qemu', { vmid: 219, scsi0: 'local-lvm:8' }));
    assert.equal((await api.waitTask(create)).exitstatus, "unable to create VM 219 - can't lock file '/var/lock/pve-manager/pve-storage-local-lvm' - got timeout");
    assert.equal((await api.waitTask(clone)).exitstatus, 'OK');
    assert.equal((await api.get('/nodes/pve1/qemu/219/config')).status, 500, 'the failed create removed its reservation');
  });

  it('converts a stopped VM to a template and refuses running VMs and templates', async () => {
    await api.control('POST', 'vms', { node: 'pve1', vmid: 220, name: 'golden' });
    await api.control('POST', 'vms', { node: 'pve1', vmid: 221, name: 'busy', status: 'running' });
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/220/template'), 'OK');
    const golden = await config('pve1', 220);
    assert.equal(golden.template, 1);
    assert.equal(golden.scsi0, 'local-lvm:base-220-disk-0,size=8G');
    assert.equal((await api.post('/nodes/pve1/qemu/220/template')).statusText, "you can't convert a template to a template");
    assert.equal((await api.post('/nodes/pve1/qemu/221/template')).statusText, "you can't convert a VM to template if VM is running");
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/220/clone', { newid: 222 }), 'OK');
    assert.equal((await config('pve1', 222)).scsi0, 'local-lvm:base-220-disk-0/vm-222-disk-0,size=8G');
  });
});
