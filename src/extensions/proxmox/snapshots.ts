import type { ProxmoxClient } from '../../clients/proxmox/client.ts';
import type { SnapshotEntry } from '../../clients/proxmox/types.ts';
import type { JsonObject } from '../../contract/extension.ts';
import { requireOwnedVm } from './lifecycle.ts';
import type { InstanceIdentity, SnapshotRequest } from './settings.ts';

/** `YYYY-MM-DD HH:MM:SS` in UTC (as the bash reference prints it), or `-` when Proxmox gives no time. */
export function formatSnapshotTime(epochSeconds: number | undefined): string {
  if (epochSeconds === undefined || !Number.isFinite(epochSeconds)) return '-';
  return new Date(epochSeconds * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

export function snapshotRow(entry: SnapshotEntry): JsonObject {
  return {
    name: entry.name,
    snaptime: formatSnapshotTime(entry.snaptime),
    description: entry.description ?? '',
    parent: entry.parent ?? '-',
    vmstate: entry.vmstate ?? '-',
  };
}

export async function listSnapshots(client: ProxmoxClient, identity: InstanceIdentity): Promise<JsonObject> {
  const vm = await requireOwnedVm(client, identity);
  const entries = await client.snapshots(vm.node, vm.vmid);
  return { status: 'success', printmessage: 'true', message: entries.map(snapshotRow) };
}

export async function createSnapshot(client: ProxmoxClient, identity: InstanceIdentity, request: SnapshotRequest): Promise<JsonObject> {
  const vm = await requireOwnedVm(client, identity);
  await client.runTask(
    client.createSnapshot(vm.node, vm.vmid, { snapname: request.name, vmstate: request.saveMemory, description: request.description }),
  );
  return { status: 'success', message: 'Instance Snapshot created' };
}

/**
 * Rolls back, then brings the VM back to the power state it had before: a snapshot without memory leaves the
 * VM stopped, and a VM that was running should keep running; a VM that was stopped is not started.
 */
export async function restoreSnapshot(client: ProxmoxClient, identity: InstanceIdentity, request: SnapshotRequest): Promise<JsonObject> {
  const vm = await requireOwnedVm(client, identity);
  const before = await client.vmStatus(vm.node, vm.vmid);
  await client.runTask(client.rollbackSnapshot(vm.node, vm.vmid, request.name));
  if (before.status === 'running') {
    const after = await client.vmStatus(vm.node, vm.vmid);
    if (after.status !== 'running') await client.runTask(client.powerVm(vm.node, vm.vmid, 'start'));
  }
  return { status: 'success', message: 'Instance Snapshot restored' };
}

export async function deleteSnapshot(client: ProxmoxClient, identity: InstanceIdentity, request: SnapshotRequest): Promise<JsonObject> {
  const vm = await requireOwnedVm(client, identity);
  await client.runTask(client.deleteSnapshot(vm.node, vm.vmid, request.name));
  return { status: 'success', message: 'Instance Snapshot deleted' };
}
