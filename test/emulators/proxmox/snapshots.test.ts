import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startEmulator } from './helpers.ts';
import type { TestApi } from './helpers.ts';

type Entry = Record<string, unknown>;

describe('proxmox emulator: snapshots', () => {
  let api: TestApi;
  let stop: () => Promise<void>;
  before(async () => {
    ({ api, stop } = await startEmulator());
  });
  after(() => stop());
  beforeEach(async () => {
    await api.resetAll();
    await api.control('POST', 'vms', { node: 'pve1', vmid: 300, name: 'snappy', status: 'running' });
  });

  const list = () => api.ok('GET', '/nodes/pve1/qemu/300/snapshot') as Promise<Entry[]>;
  const status = () => api.ok('GET', '/nodes/pve1/qemu/300/status/current') as Promise<Entry>;

  it('lists only the pseudo-entry current before any snapshot', async () => {
    const entries = await list();
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.name, 'current');
    assert.equal(entries[0]!.description, 'You are here!');
    assert.equal(entries[0]!.running, 1);
    assert.match(String(entries[0]!.digest), /^[0-9a-f]{40}$/);
  });

  it('creates snapshots with vmstate and parents, and refuses duplicates and reserved names', async () => {
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/300/snapshot', { snapname: 'first', vmstate: 1, description: 'with RAM' }), 'OK');
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/300/snapshot', { snapname: 'second' }), 'OK');
    const entries = await list();
    assert.deepEqual(
      entries.map((entry) => [entry.name, entry.parent, entry.vmstate]),
      [
        ['first', undefined, 1],
        ['second', 'first', 0],
        ['current', 'second', undefined],
      ],
    );
    assert.equal(entries[0]!.description, 'with RAM');
    assert.ok(Number(entries[0]!.snaptime) > 0);
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/300/snapshot', { snapname: 'first' }), "snapshot name 'first' already used");
    const reserved = await api.post('/nodes/pve1/qemu/300/snapshot', { snapname: 'current' });
    assert.equal(reserved.status, 500);
    assert.equal(reserved.statusText, "unable to use snapshot name 'current' (reserved name)");
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/9000/snapshot', { snapname: 'tpl' }), "you can't take a snapshot if it's a template");
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/4242/snapshot', { snapname: 'gone' }), "Configuration file 'nodes/pve1/qemu-server/4242.conf' does not exist");
    const first = (await api.ok('GET', '/nodes/pve1/qemu/300/config', { snapshot: 'first' })) as Entry;
    assert.equal(first.name, 'snappy');
    assert.equal(first.vmstate, 'local-lvm:vm-300-state-first', 'the RAM went to a state volume');
    const volumes = (await api.ok('GET', '/nodes/pve1/storage/local-lvm/content')) as Entry[];
    assert.deepEqual(volumes.map((volume) => volume.volid).sort(), ['local-lvm:vm-300-disk-0', 'local-lvm:vm-300-state-first']);
    assert.equal(await api.runTask('DELETE', '/nodes/pve1/qemu/300/snapshot/first'), 'OK');
    assert.deepEqual(((await api.ok('GET', '/nodes/pve1/storage/local-lvm/content')) as Entry[]).map((volume) => volume.volid), ['local-lvm:vm-300-disk-0']);
  });

  it('holds a snapshot lock while the task runs', async () => {
    await api.control('PUT', 'config', { taskDurationMs: 1000 });
    const upid = String(await api.ok('POST', '/nodes/pve1/qemu/300/snapshot', { snapname: 'slow' }));
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal((await status()).lock, 'snapshot');
    const put = await api.put('/nodes/pve1/qemu/300/config', { cores: 2 });
    assert.equal(put.statusText, 'VM is locked (snapshot)');
    assert.equal((await api.waitTask(upid)).exitstatus, 'OK');
    assert.equal((await status()).lock, undefined);
  });

  it('rolls back config and power state, honouring vmstate', async () => {
    await api.runTask('POST', '/nodes/pve1/qemu/300/snapshot', { snapname: 'ram', vmstate: 1 });
    await api.runTask('POST', '/nodes/pve1/qemu/300/snapshot', { snapname: 'disk' });
    await api.put('/nodes/pve1/qemu/300/config', { cores: 8 });
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/300/snapshot/disk/rollback'), 'OK');
    assert.equal((await status()).status, 'stopped', 'a rollback without RAM state leaves the VM stopped');
    assert.equal((await api.ok('GET', '/nodes/pve1/qemu/300/config') as Entry).cores, 1);
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/300/snapshot/ram/rollback'), 'OK');
    assert.equal((await status()).status, 'running', 'a rollback with RAM state resumes the VM');
    assert.equal(((await api.ok('GET', '/nodes/pve1/qemu/300/config')) as Entry).vmstate, undefined);
    assert.equal((await list()).at(-1)!.parent, 'ram');
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/300/snapshot/disk/rollback', { start: 1 }), 'OK');
    assert.equal((await status()).status, 'running');
    assert.equal(await api.runTask('POST', '/nodes/pve1/qemu/300/snapshot/nope/rollback'), "snapshot 'nope' does not exist");
  });

  it('deletes snapshots and re-parents the children', async () => {
    await api.runTask('POST', '/nodes/pve1/qemu/300/snapshot', { snapname: 'snap-a' });
    await api.runTask('POST', '/nodes/pve1/qemu/300/snapshot', { snapname: 'snap-b' });
    await api.runTask('POST', '/nodes/pve1/qemu/300/snapshot', { snapname: 'snap-c' });
    assert.equal(await api.runTask('DELETE', '/nodes/pve1/qemu/300/snapshot/snap-b'), 'OK');
    assert.deepEqual(
      (await list()).map((entry) => [entry.name, entry.parent]),
      [
        ['snap-a', undefined],
        ['snap-c', 'snap-a'],
        ['current', 'snap-c'],
      ],
    );
    assert.equal(await api.runTask('DELETE', '/nodes/pve1/qemu/300/snapshot/snap-b'), "snapshot 'snap-b' does not exist");
    assert.deepEqual(await api.ok('GET', '/nodes/pve1/qemu/300/snapshot/snap-a'), [{ cmd: 'rollback' }, { cmd: 'config' }]);
  });

  it('refuses one-letter snapshot names like the real configid format', async () => {
    const response = await api.post('/nodes/pve1/qemu/300/snapshot', { snapname: 'a' });
    assert.deepEqual(response.json!.errors, { snapname: "invalid format - invalid configuration ID 'a'\n" });
  });
});
