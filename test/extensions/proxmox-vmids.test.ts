import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HttpClient } from '../../src/clients/http/client.ts';
import { ProxmoxClient } from '../../src/clients/proxmox/client.ts';
import { Deadline } from '../../src/contract/deadline.ts';
import { allocateVmid, VmidReservations } from '../../src/extensions/proxmox/vmids.ts';
import { EmulatorHarness } from '../helpers/proxmox.ts';

describe('VMID reservations', () => {
  it('holds an id until it is released or its hold expires', () => {
    let now = 1_000;
    const reservations = new VmidReservations(500, () => now);
    reservations.hold(100);
    assert.equal(reservations.isHeld(100), true);
    assert.equal(reservations.isHeld(101), false);
    reservations.release(100);
    assert.equal(reservations.isHeld(100), false);
    reservations.hold(102);
    now += 499;
    assert.equal(reservations.isHeld(102), true);
    now += 1;
    assert.equal(reservations.isHeld(102), false, 'an id nobody released is handed out again after the hold');
    assert.equal(reservations.size, 0);
  });
});

describe('VMID allocation against the Proxmox emulator', () => {
  let harness: EmulatorHarness;
  let http: HttpClient;

  before(async () => {
    harness = await EmulatorHarness.start({ nodes: ['pve1'] });
    // Foreign VMs at 101 and 102: above the lowest unused id (100), so only a probe can tell they are taken.
    await harness.addVm({ node: 'pve1', vmid: 101, name: 'foreign-1', status: 'running' });
    await harness.addVm({ node: 'pve1', vmid: 102, name: 'foreign-2', status: 'stopped' });
    http = new HttpClient({ baseUrl: new URL('/api2/json', harness.url), verifyTls: false });
  });
  after(async () => {
    http.close();
    await harness.close();
  });

  const client = () =>
    new ProxmoxClient({ http, token: { user: harness.emulator.user, tokenId: harness.emulator.token, secret: harness.emulator.secret }, deadline: Deadline.after(10_000) });

  it('hands out distinct ids to concurrent allocations, skipping ids Proxmox reports taken', async () => {
    const reservations = new VmidReservations();
    const ids = await Promise.all(Array.from({ length: 5 }, () => allocateVmid(client(), reservations)));
    assert.deepEqual([...ids].sort((a, b) => a - b), [100, 103, 104, 105, 106]);
    assert.equal(reservations.size, 5);
    for (const id of ids) assert.equal(reservations.isHeld(id), true);
  });

  it('skips ids the caller found taken, and hands a released id out again', async () => {
    const reservations = new VmidReservations();
    assert.equal(await allocateVmid(client(), reservations, new Set([100, 103])), 104);
    reservations.release(104);
    assert.equal(await allocateVmid(client(), reservations), 100);
    assert.equal(await allocateVmid(client(), reservations), 103);
  });

  it('another process (its own reservations) is handed the lowest unused id again: only the clone can tell', async () => {
    const mine = new VmidReservations();
    const theirs = new VmidReservations();
    assert.equal(await allocateVmid(client(), mine), 100);
    assert.equal(await allocateVmid(client(), theirs), 100);
  });
});
