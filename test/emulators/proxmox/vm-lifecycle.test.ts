import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startEmulator } from './helpers.ts';
import type { TestApi } from './helpers.ts';

const ISO = 'local:iso/ubuntu-24.04-live-server-amd64.iso';

describe('proxmox emulator: VM life cycle and state rules', () => {
  let api: TestApi;
  let stop: () => Promise<void>;
  before(async () => {
    ({ api, stop } = await startEmulator({ nodes: ['pve1', 'pve2'] }));
  });
  after(() => stop());
  beforeEach(async () => {
    await api.resetAll();
  });

  async function createIsoVm(vmid: number, extra: Record<string, string | number> = {}): Promise<void> {
    const exit = await api.runTask('POST', '/nodes/pve1/qemu', {
      vmid,
      name: `vm-${vmid}`,
      ide2: `${ISO},media=cdrom`,
      ostype: 'l26',
      scsihw: 'virtio-scsi-single',
      scsi0: 'local-lvm:64,iothread=on',
      sockets: 1,
      cores: 2,
      numa: 0,
      cpu: 'x86-64-v2-AES',
      memory: 2048,
      ...extra,
    });
    assert.equal(exit, 'OK');
  }

  it('creates a VM from an ISO with an allocated disk, default boot order and a generated MAC', async () => {
    await createIsoVm(100, { net0: 'virtio,bridge=vmbr0,tag=10,firewall=0', tags: 'cloudstack;uuid-1', description: 'owner=uuid-1' });
    const config = (await api.ok('GET', '/nodes/pve1/qemu/100/config')) as Record<string, unknown>;
    assert.equal(config.scsi0, 'local-lvm:vm-100-disk-0,iothread=1,size=64G');
    assert.equal(config.ide2, `${ISO},media=cdrom`);
    assert.match(String(config.net0), /^virtio=BC:24:11:[0-9A-F]{2}:[0-9A-F]{2}:[0-9A-F]{2},bridge=vmbr0,firewall=0,tag=10$/);
    assert.equal(config.boot, 'order=scsi0;ide2;net0');
    assert.equal(config.cores, 2);
    assert.equal(config.numa, 0);
    assert.equal(config.memory, '2048');
    assert.equal(config.tags, 'cloudstack;uuid-1');
    assert.equal(config.description, 'owner=uuid-1');
    assert.match(String(config.digest), /^[0-9a-f]{40}$/);
    assert.match(String(config.smbios1), /^uuid=[0-9a-f-]{36}$/);
    assert.match(String(config.vmgenid), /^[0-9a-f-]{36}$/);
    assert.match(String(config.meta), /^creation-qemu=[\d.]+,ctime=\d+$/);
    const content = (await api.ok('GET', '/nodes/pve1/storage/local-lvm/content')) as Array<{ volid: string; vmid: number; size: number }>;
    assert.deepEqual(
      content.map((volume) => [volume.volid, volume.vmid, volume.size]),
      [['local-lvm:vm-100-disk-0', 100, 64 * 1024 ** 3]],
    );
    const resources = (await api.ok('GET', '/cluster/resources', { type: 'vm' })) as Array<Record<string, unknown>>;
    const row = resources.find((entry) => entry.vmid === 100)!;
    assert.equal(row.id, 'qemu/100');
    assert.equal(row.tags, 'cloudstack;uuid-1');
    assert.equal(row.template, 0);
    assert.equal(resources.find((entry) => entry.vmid === 9000)!.template, 1);
  });

  it('reserves the vmid with lock: create while the create task runs', async () => {
    await api.control('PUT', 'config', { taskDurationMs: 1500 });
    const upid = String(await api.ok('POST', '/nodes/pve1/qemu', { vmid: 101, name: 'slow', memory: 512 }));
    const list = (await api.ok('GET', '/nodes/pve1/qemu')) as Array<Record<string, unknown>>;
    assert.equal(list.find((vm) => vm.vmid === 101)!.lock, 'create');
    const running = (await api.ok('GET', `/nodes/pve1/tasks/${encodeURIComponent(upid)}/status`)) as Record<string, unknown>;
    assert.equal(running.status, 'running');
    assert.equal(running.exitstatus, undefined);
    assert.equal(running.endtime, undefined);
    const again = await api.post('/nodes/pve2/qemu', { vmid: 101 });
    assert.equal(again.status, 500);
    assert.equal(again.statusText, "unable to create VM 101 - VM 101 already exists on node 'pve1'");
    const start = await api.runTask('POST', '/nodes/pve1/qemu/101/status/start');
    assert.equal(start, 'VM is locked (create)');
    assert.equal((await api.waitTask(upid)).exitstatus, 'OK');
    const after = (await api.ok('GET', '/nodes/pve1/qemu/101/status/current')) as Record<string, unknown>;
    assert.equal(after.lock, undefined);
  });

  it('follows the real state rules for start, stop, reboot, suspend, resume and delete', async () => {
    await createIsoVm(102);
    const current = () => api.ok('GET', '/nodes/pve1/qemu/102/status/current') as Promise<Record<string, unknown>>;
    assert.equal((await current()).status, 'stopped');
    const reboot = await api.post('/nodes/pve1/qemu/102/status/reboot');
    assert.equal(reboot.status, 500);
    assert.equal(reboot.statusText, 'VM 102 not running');
    assert.equal((await api.post('/nodes/pve1/qemu/102/status/suspend')).statusText, 'VM 102 not running');
    assert.equal((await api.post('/nodes/pve1/qemu/102/status/resume')).statusText, 'VM 102 not running');
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/102/status/stop'), 'OK');
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/102/status/start'), 'OK');
    const running = await current();
    assert.equal(running.status, 'running');
    assert.equal(running.qmpstatus, 'running');
    assert.ok(Number(running.pid) > 0);
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/102/status/start'), 'VM 102 already running');
    const destroy = await api.delete('/nodes/pve1/qemu/102');
    assert.equal(destroy.status, 500);
    assert.equal(destroy.statusText, 'VM 102 is running - destroy failed');
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/102/status/reboot'), 'OK');
    assert.equal((await api.post('/nodes/pve1/qemu/102/status/reset')).status, 200);
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/102/status/suspend'), 'OK');
    assert.equal((await current()).qmpstatus, 'paused');
    const pausedShutdown = await api.post('/nodes/pve1/qemu/102/status/shutdown');
    assert.equal(pausedShutdown.statusText, 'VM is paused - cannot shutdown');
    assert.equal((await api.post('/nodes/pve1/qemu/102/status/reboot')).statusText, 'VM is paused - cannot shutdown');
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/102/status/resume'), 'OK');
    assert.equal((await current()).qmpstatus, 'running');
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/102/status/shutdown'), 'OK');
    assert.equal((await current()).status, 'stopped');
    assert.equal(await api.runTask('DELETE', '/nodes/pve1/qemu/102', { purge: 1, 'destroy-unreferenced-disks': 1 }), 'OK');
    const missing = await api.get('/nodes/pve1/qemu/102/status/current');
    assert.equal(missing.status, 500);
    assert.equal(missing.statusText, "Configuration file 'nodes/pve1/qemu-server/102.conf' does not exist");
    const content = (await api.ok('GET', '/nodes/pve1/storage/local-lvm/content')) as unknown[];
    assert.deepEqual(content, []);
  });

  it('stops a paused VM with forceStop and a warning', async () => {
    await api.control('POST', 'vms', { node: 'pve1', vmid: 109, name: 'paused', status: 'running' });
    await api.runTask('POST', '/nodes/pve1/qemu/109/status/suspend');
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/109/status/shutdown', { forceStop: 1 }), 'WARNINGS: 1');
    assert.equal(((await api.ok('GET', '/nodes/pve1/qemu/109/status/current')) as Record<string, unknown>).status, 'stopped');
    const keepActive = await api.post('/nodes/pve1/qemu/109/status/stop', { keepActive: 1 });
    assert.deepEqual(keepActive.json!.errors, { keepActive: 'Only root may use this option.' });
  });

  it('starts or stops a missing VM or a template only to fail inside the task', async () => {
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/4242/status/stop'), "Configuration file 'nodes/pve1/qemu-server/4242.conf' does not exist");
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/4242/status/start'), "Configuration file 'nodes/pve1/qemu-server/4242.conf' does not exist");
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/9000/status/start'), "you can't start a vm if it's a template");
  });

  it('refuses to start a VM whose ISO or bridge does not exist', async () => {
    await createIsoVm(103, { ide2: 'local:iso/missing.iso,media=cdrom' });
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/103/status/start'), "volume 'local:iso/missing.iso' does not exist");
    await createIsoVm(104, { net0: 'virtio,bridge=vmbr7' });
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/104/status/start'), "bridge 'vmbr7' does not exist");
  });

  it('refuses to destroy a protected VM', async () => {
    await api.control('POST', 'vms', { node: 'pve1', vmid: 110, name: 'precious' });
    await api.put('/nodes/pve1/qemu/110/config', { protection: 1 });
    const refused = await api.delete('/nodes/pve1/qemu/110');
    assert.equal(refused.status, 500);
    assert.equal(refused.statusText, "can't remove VM 110 - protection mode enabled");
    await api.put('/nodes/pve1/qemu/110/config', { delete: 'protection' });
    assert.equal(await api.runTask('DELETE', '/nodes/pve1/qemu/110'), 'OK');
  });

  it('a VM is only found on its own node', async () => {
    await createIsoVm(105);
    const wrongNode = await api.get('/nodes/pve2/qemu/105/config');
    assert.equal(wrongNode.statusText, "Configuration file 'nodes/pve2/qemu-server/105.conf' does not exist");
  });

  it('updates the config synchronously with PUT and asynchronously with POST, honouring delete and digest', async () => {
    await createIsoVm(106, { net0: 'virtio,bridge=vmbr0', net1: 'e1000,bridge=vmbr0' });
    const before = (await api.ok('GET', '/nodes/pve1/qemu/106/config')) as Record<string, unknown>;
    const put = await api.put('/nodes/pve1/qemu/106/config/', { cores: 4, net2: 'virtio=bc:24:11:aa:bb:cc,bridge=vmbr0,tag=20,firewall=0', delete: 'net1', digest: String(before.digest) });
    assert.equal(put.status, 200);
    assert.deepEqual(put.json, { data: null });
    const afterPut = (await api.ok('GET', '/nodes/pve1/qemu/106/config')) as Record<string, unknown>;
    assert.equal(afterPut.cores, 4);
    assert.equal(afterPut.net1, undefined);
    assert.equal(afterPut.net2, 'virtio=bc:24:11:aa:bb:cc,bridge=vmbr0,firewall=0,tag=20');
    const stale = await api.put('/nodes/pve1/qemu/106/config', { cores: 8, digest: String(before.digest) });
    assert.equal(stale.status, 500);
    assert.equal(stale.statusText, 'checksum missmatch (file change by other user?)');
    const staleAsync = await api.post('/nodes/pve1/qemu/106/config', { cores: 8, digest: String(before.digest) });
    assert.equal(staleAsync.statusText, 'checksum missmatch (file change by other user?)', 'checked before the worker forks');
    assert.equal((await api.put('/nodes/pve1/qemu/106/config', {})).statusText, 'no options specified');
    assert.deepEqual((await api.put('/nodes/pve1/qemu/106/config', { delete: 'colour' })).json!.errors, { delete: "unknown option 'colour'" });
    await api.put('/nodes/pve1/qemu/106/config', { tags: 'b,a;b cloudstack' });
    assert.equal(((await api.ok('GET', '/nodes/pve1/qemu/106/config')) as Record<string, unknown>).tags, 'b;a;cloudstack');
    const both = await api.put('/nodes/pve1/qemu/106/config', { cores: 8, delete: 'cores' });
    assert.deepEqual(both.json!.errors, { delete: "you can't use '-cores' and -delete cores' at the same time" });
    const upid = String(await api.ok('POST', '/nodes/pve1/qemu/106/config', { memory: 4096, description: 'updated' }));
    assert.match(upid, /:qmconfig:106:/);
    assert.equal((await api.waitTask(upid)).exitstatus, 'OK');
    const afterPost = (await api.ok('GET', '/nodes/pve1/qemu/106/config')) as Record<string, unknown>;
    assert.equal(afterPost.memory, '4096');
    assert.equal(afterPost.description, 'updated');
    const warned = String(await api.ok('POST', '/nodes/pve1/qemu/106/config', { delete: 'net7' }));
    assert.equal((await api.waitTask(warned)).exitstatus, 'WARNINGS: 1');
    const warnLog = (await api.ok('GET', `/nodes/pve1/tasks/${encodeURIComponent(warned)}/log`)) as Array<{ t: string }>;
    assert.ok(warnLog.some((line) => line.t === "WARN: cannot delete 'net7' - not set in current configuration!"));
    assert.equal(warnLog.at(-1)!.t, 'TASK WARNINGS: 1');
    await api.put('/nodes/pve1/qemu/106/config', { delete: 'scsi0' });
    const detached = (await api.ok('GET', '/nodes/pve1/qemu/106/config')) as Record<string, unknown>;
    assert.equal(detached.unused0, 'local-lvm:vm-106-disk-0');
  });

  it('answers nextid with the lowest free id as a string and checks a given id', async () => {
    assert.equal(await api.ok('GET', '/cluster/nextid'), '100');
    await api.control('POST', 'vms', { node: 'pve2', vmid: 100, name: 'foreign' });
    await api.control('POST', 'vms', { node: 'pve1', vmid: 101, name: 'foreign2' });
    assert.equal(await api.ok('GET', '/cluster/nextid'), '102');
    assert.equal(await api.ok('GET', '/cluster/nextid'), '102', 'nextid reserves nothing');
    assert.equal(await api.ok('GET', '/cluster/nextid', { vmid: 150 }), '150');
    const taken = await api.get('/cluster/nextid', { vmid: 100 });
    assert.equal(taken.status, 400);
    assert.deepEqual(taken.json!.errors, { vmid: 'VM 100 already exists' });
  });

  it('records tasks with UPIDs, logs, exit statuses and filters', async () => {
    await createIsoVm(107);
    await api.control('PUT', 'config', { failTasks: { qmstart: "can't activate LV '/dev/pve/vm-107-disk-0'" } });
    const upid = String(await api.ok('POST', '/nodes/pve1/qemu/107/status/start'));
    assert.match(upid, /^UPID:pve1:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:qmstart:107:root@pam!extorch:$/);
    const status = await api.waitTask(upid);
    assert.equal(status.exitstatus, "can't activate LV '/dev/pve/vm-107-disk-0'");
    assert.equal(status.user, 'root@pam');
    assert.equal(status.tokenid, 'extorch');
    assert.equal(status.type, 'qmstart');
    assert.equal(status.id, '107');
    const log = await api.get(`/nodes/pve1/tasks/${encodeURIComponent(upid)}/log`);
    assert.deepEqual((log.data as Array<{ n: number; t: string }>).at(-1), { n: (log.json!.total as number), t: "TASK ERROR: can't activate LV '/dev/pve/vm-107-disk-0'" });
    const vm = (await api.ok('GET', '/nodes/pve1/qemu/107/status/current')) as Record<string, unknown>;
    assert.equal(vm.status, 'stopped');
    const errors = await api.get('/nodes/pve1/tasks', { errors: 1, vmid: 107 });
    assert.deepEqual((errors.data as Array<{ upid: string }>).map((task) => task.upid), [upid]);
    const rows = (await api.ok('GET', '/nodes/pve1/tasks', { typefilter: 'qmcreate' })) as Array<Record<string, unknown>>;
    assert.equal(rows[0]!.status, 'OK');
    assert.ok(Number(rows[0]!.endtime) >= Number(rows[0]!.starttime));
    const clusterTasks = (await api.ok('GET', '/cluster/tasks')) as Array<{ upid: string }>;
    assert.ok(clusterTasks.some((task) => task.upid === upid));
    const bogus = await api.get('/nodes/pve1/tasks/not-a-upid/status');
    assert.deepEqual(bogus.json!.errors, { upid: 'unable to parse worker upid' });
    const unknown = await api.get(`/nodes/pve1/tasks/${encodeURIComponent(upid.replace(':qmstart:', ':qmstop:'))}/status`);
    assert.deepEqual(unknown.json!.errors, { upid: 'no such task' });
  });

  it('serves the network, storage and ISO listings', async () => {
    const network = (await api.ok('GET', '/nodes/pve1/network')) as Array<Record<string, unknown>>;
    const bridge = network.find((entry) => entry.iface === 'vmbr0')!;
    assert.equal(bridge.type, 'bridge');
    assert.equal(bridge.method, 'static');
    assert.match(String(bridge.cidr), /^\d+\.\d+\.\d+\.\d+\/24$/);
    const bridges = (await api.ok('GET', '/nodes/pve1/network', { type: 'bridge' })) as Array<Record<string, unknown>>;
    assert.ok(bridges.every((entry) => entry.type === 'bridge'));
    const storages = (await api.ok('GET', '/nodes/pve2/storage')) as Array<Record<string, unknown>>;
    assert.deepEqual(
      storages.map((storage) => [storage.storage, storage.type, storage.shared]),
      [
        ['local', 'dir', 0],
        ['local-lvm', 'lvmthin', 0],
        ['ceph-vm', 'rbd', 1],
      ],
    );
    const isoStorages = (await api.ok('GET', '/nodes/pve2/storage', { content: 'iso' })) as Array<Record<string, unknown>>;
    assert.deepEqual(isoStorages.map((storage) => storage.storage), ['local']);
    const isos = (await api.ok('GET', '/nodes/pve2/storage/local/content', { content: 'iso' })) as Array<Record<string, unknown>>;
    assert.deepEqual(isos.map((volume) => [volume.volid, volume.content, volume.format]), [[ISO, 'iso', 'iso']]);
    const missing = await api.get('/nodes/pve2/storage/nfs/content');
    assert.equal(missing.statusText, "storage 'nfs' does not exist");
  });

  it('returns a VNC proxy ticket and port', async () => {
    await createIsoVm(108);
    await api.runTask('POST', '/nodes/pve1/qemu/108/status/start');
    const proxy = (await api.ok('POST', '/nodes/pve1/qemu/108/vncproxy')) as Record<string, unknown>;
    assert.equal(typeof proxy.port, 'number');
    assert.match(String(proxy.ticket), /^PVEVNC:/);
    assert.match(String(proxy.upid), /:vncproxy:108:/);
    assert.match(String(proxy.cert), /BEGIN CERTIFICATE/);
    assert.ok(Number(proxy.port) >= 5900 && Number(proxy.port) <= 5999);
    assert.equal(proxy.password, undefined);
    assert.equal((await api.waitTask(String(proxy.upid))).exitstatus, 'connection timed out', 'no viewer connects to the emulator');
    const withPassword = (await api.ok('POST', '/nodes/pve1/qemu/108/vncproxy', { 'generate-password': 1 })) as Record<string, unknown>;
    assert.match(String(withPassword.password), /^[!-`]{8}$/);
    assert.notEqual(withPassword.port, proxy.port);
  });
});
