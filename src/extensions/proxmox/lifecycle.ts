import type { ProxmoxClient } from '../../clients/proxmox/client.ts';
import type { NodeNetworkInterface } from '../../clients/proxmox/types.ts';
import { ExtensionError, type JsonObject } from '../../contract/extension.ts';
import { locateVm, notFoundMessage, unverifiedMessage, type VmLocation } from './ownership.ts';
import type { HostSettings, InstanceIdentity } from './settings.ts';

/** What `delete` asks Proxmox to remove with the VM: its HA/replication/backup-job entries and stray disks. */
export const DESTROY_OPTIONS = { purge: true, 'destroy-unreferenced-disks': true } as const;

export type PowerState = 'poweron' | 'poweroff' | 'unknown';

/** CloudStack compares power states case-insensitively with PowerOn/PowerOff; anything else is unknown. */
export function powerStateOf(status: string | undefined): PowerState {
  if (status === 'running') return 'poweron';
  if (status === 'stopped') return 'poweroff';
  return 'unknown';
}

/** The instance's VM, or an error that says why it cannot be acted upon. */
export async function requireOwnedVm(client: ProxmoxClient, identity: InstanceIdentity): Promise<VmLocation> {
  const found = await locateVm(client, identity);
  if (found.kind === 'owned') return found.vm;
  if (found.kind === 'unverified') throw new ExtensionError(unverifiedMessage(found.vm, identity));
  throw new ExtensionError(notFoundMessage(identity));
}

/** The instance's VM, or undefined when it does not exist (for idempotent stop/delete). */
async function ownedVmIfPresent(client: ProxmoxClient, identity: InstanceIdentity): Promise<VmLocation | undefined> {
  const found = await locateVm(client, identity);
  if (found.kind === 'unverified') throw new ExtensionError(unverifiedMessage(found.vm, identity));
  return found.kind === 'owned' ? found.vm : undefined;
}

/** Stops (hard) a running VM, then destroys it and waits for both tasks. */
export async function destroyVm(client: ProxmoxClient, node: string, vmid: number): Promise<void> {
  const current = await client.vmStatus(node, vmid);
  if (current.status === 'running') await client.runTask(client.powerVm(node, vmid, 'stop'));
  await client.runTask(client.deleteVm(node, vmid, DESTROY_OPTIONS));
}

export async function startInstance(client: ProxmoxClient, identity: InstanceIdentity): Promise<JsonObject> {
  const vm = await requireOwnedVm(client, identity);
  // Starting a running VM makes the Proxmox task fail; CloudStack only wants it running.
  const current = await client.vmStatus(vm.node, vm.vmid);
  if (current.status !== 'running') await client.runTask(client.powerVm(vm.node, vm.vmid, 'start'));
  return { status: 'success', message: 'Instance started' };
}

export async function stopInstance(client: ProxmoxClient, identity: InstanceIdentity): Promise<JsonObject> {
  const vm = await ownedVmIfPresent(client, identity);
  if (vm) await client.runTask(client.powerVm(vm.node, vm.vmid, 'stop'));
  return { status: 'success', message: 'Instance stopped' };
}

export async function rebootInstance(client: ProxmoxClient, identity: InstanceIdentity): Promise<JsonObject> {
  const vm = await requireOwnedVm(client, identity);
  await client.runTask(client.powerVm(vm.node, vm.vmid, 'reboot'));
  return { status: 'success', message: 'Instance rebooted' };
}

export async function deleteInstance(client: ProxmoxClient, identity: InstanceIdentity): Promise<JsonObject> {
  const vm = await ownedVmIfPresent(client, identity);
  if (vm) await destroyVm(client, vm.node, vm.vmid);
  return { status: 'success', message: 'Instance deleted' };
}

export async function instanceStatus(client: ProxmoxClient, identity: InstanceIdentity): Promise<JsonObject> {
  const vm = await requireOwnedVm(client, identity);
  const current = await client.vmStatus(vm.node, vm.vmid);
  return { status: 'success', power_state: powerStateOf(current.status) };
}

/** Power states of every VM of the host's node (templates excluded), keyed by Proxmox VM name. */
export async function hostStatuses(client: ProxmoxClient, host: HostSettings): Promise<JsonObject> {
  const states: Record<string, PowerState> = {};
  for (const entry of await client.nodeVms(host.node)) {
    if (Number(entry.template ?? 0) === 1) continue;
    const key = entry.name && entry.name !== '' ? entry.name : String(entry.vmid);
    states[key] = powerStateOf(entry.status);
  }
  return { status: 'success', power_state: states };
}

/** The address a console proxy should connect to: the node's first static non-bridge address, else any. */
export function consoleAddress(interfaces: readonly NodeNetworkInterface[]): string | undefined {
  const addressOf = (entry: NodeNetworkInterface) => entry.address ?? entry.cidr?.split('/')[0];
  const preferred = interfaces.find((entry) => entry.type !== 'bridge' && entry.type !== 'bond' && entry.method === 'static' && addressOf(entry));
  const chosen = preferred ?? interfaces.find((entry) => addressOf(entry));
  return chosen ? addressOf(chosen) : undefined;
}

export async function instanceConsole(client: ProxmoxClient, identity: InstanceIdentity): Promise<JsonObject> {
  const vm = await requireOwnedVm(client, identity);
  const proxy = await client.vncProxy(vm.node, vm.vmid);
  if (proxy?.port === undefined || proxy.port === '' || !proxy.ticket) throw new ExtensionError('Proxmox response missing port/ticket');
  const host = consoleAddress(await client.nodeNetwork(vm.node));
  if (!host) throw new ExtensionError(`Could not determine host IP for node ${vm.node}`);
  return {
    status: 'success',
    message: 'Console retrieved',
    console: { host, port: String(proxy.port), password: proxy.ticket, passwordonetimeuseonly: true, protocol: 'vnc' },
  };
}
