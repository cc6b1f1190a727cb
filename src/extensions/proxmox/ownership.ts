import type { ProxmoxClient } from '../../clients/proxmox/client.ts';
import { ProxmoxApiError } from '../../clients/proxmox/errors.ts';
import type { ClusterVmResource, VmConfig } from '../../clients/proxmox/types.ts';
import type { InstanceIdentity } from './settings.ts';

/**
 * Ownership of Proxmox VMs. Every VM extorch creates carries the CloudStack VM UUID as a Proxmox tag
 * (`cloudstack-<uuid>`, lower case as Proxmox stores tags) and in its description. The VMID that `prepare`
 * returned is only a hint: a VM is acted upon only when it carries this instance's tag.
 */

const TAG_PREFIX = 'cloudstack-';
const DESCRIPTION_MARKER = 'cloudstack-vm-uuid:';

export function ownershipTag(uuid: string): string {
  return `${TAG_PREFIX}${uuid.toLowerCase()}`;
}

/** Proxmox stores tags as one string separated by `;` (`,` and spaces are accepted on input). */
export function parseTags(tags: string | undefined): string[] {
  return (tags ?? '').split(/[;,\s]+/).map((tag) => tag.trim().toLowerCase()).filter(Boolean);
}

/** The tags to set on a new VM: those inherited from a template, minus any other instance's tag, plus ours. */
export function tagsForInstance(inherited: string | undefined, uuid: string): string {
  const kept = parseTags(inherited).filter((tag) => !tag.startsWith(TAG_PREFIX));
  return [...new Set([...kept, ownershipTag(uuid)])].join(';');
}

export function ownershipDescription(identity: InstanceIdentity): string {
  return [
    `Managed by Apache CloudStack through extorch: instance ${identity.internalName}.`,
    `Keep the tag ${ownershipTag(identity.uuid)}: it is how this VM is recognised.`,
    `${DESCRIPTION_MARKER} ${identity.uuid.toLowerCase()}`,
  ].join('\n');
}

export type Ownership = 'ours' | 'foreign' | 'unmarked';

function ownerInDescription(description: string | undefined): string | undefined {
  const line = (description ?? '').split('\n').find((text) => text.trim().toLowerCase().startsWith(DESCRIPTION_MARKER));
  return line?.trim().slice(DESCRIPTION_MARKER.length).trim().toLowerCase();
}

/** Ownership from tags alone (what `/cluster/resources` shows). */
export function ownershipFromTags(tags: string | undefined, uuid: string): Ownership {
  const parsed = parseTags(tags);
  if (parsed.includes(ownershipTag(uuid))) return 'ours';
  return parsed.some((tag) => tag.startsWith(TAG_PREFIX)) ? 'foreign' : 'unmarked';
}

/** Ownership from a VM's configuration: its tags, else the UUID line of its description. */
export function ownershipFromConfig(config: VmConfig, uuid: string): Ownership {
  const byTags = ownershipFromTags(config.tags, uuid);
  if (byTags !== 'unmarked') return byTags;
  const owner = ownerInDescription(config.description);
  if (owner === undefined) return 'unmarked';
  return owner === uuid.toLowerCase() ? 'ours' : 'foreign';
}

export interface VmLocation {
  readonly vmid: number;
  readonly node: string;
  readonly name?: string;
  readonly status?: string;
}

export type LocateResult =
  | { readonly kind: 'owned'; readonly vm: VmLocation }
  | { readonly kind: 'absent' }
  /** The hint's VM has this instance's name but no ownership tag (e.g. made by the reference script). */
  | { readonly kind: 'unverified'; readonly vm: VmLocation };

function toLocation(row: ClusterVmResource): VmLocation {
  return { vmid: Number(row.vmid), node: row.node, ...(row.name ? { name: row.name } : {}), ...(row.status ? { status: row.status } : {}) };
}

/** QEMU guests of the cluster that are not templates. */
export function qemuGuests(rows: readonly ClusterVmResource[]): ClusterVmResource[] {
  return rows.filter((row) => row.type === 'qemu' && Number(row.template ?? 0) !== 1);
}

/**
 * The hinted VM on the host's node when it carries the instance's tag: one small request, where the cluster
 * listing grows with every VM of the cluster. Anything else (no hint, another node, not ours, refused) is
 * left to the listing.
 */
async function hintedVmOnHostNode(client: ProxmoxClient, identity: InstanceIdentity): Promise<VmLocation | undefined> {
  if (identity.vmidHint === undefined || identity.hostNode === undefined) return undefined;
  let config: VmConfig;
  try {
    config = await client.vmConfig(identity.hostNode, identity.vmidHint);
  } catch (error) {
    if (error instanceof ProxmoxApiError) return undefined;
    throw error;
  }
  if (Number(config.template ?? 0) === 1 || ownershipFromTags(config.tags, identity.uuid) !== 'ours') return undefined;
  return { vmid: identity.vmidHint, node: identity.hostNode, ...(typeof config.name === 'string' && config.name !== '' ? { name: config.name } : {}) };
}

/**
 * Finds this instance's VM: the hint on the host's node when it carries the tag; else, in one call over the
 * cluster, the hint anywhere (when its tag matches) or the VM carrying the tag, which also finds a VM that HA
 * moved to another node.
 */
export async function locateVm(client: ProxmoxClient, identity: InstanceIdentity): Promise<LocateResult> {
  const onHostNode = await hintedVmOnHostNode(client, identity);
  if (onHostNode) return { kind: 'owned', vm: onHostNode };
  const guests = qemuGuests(await client.clusterVms());
  const owned = guests.filter((row) => ownershipFromTags(row.tags, identity.uuid) === 'ours');
  const hinted = identity.vmidHint === undefined ? undefined : guests.find((row) => Number(row.vmid) === identity.vmidHint);
  if (hinted && owned.includes(hinted)) return { kind: 'owned', vm: toLocation(hinted) };
  if (owned.length > 1) {
    const ids = owned.map((row) => `${row.vmid} on ${row.node}`).join(', ');
    throw new Error(`More than one Proxmox VM carries the tag ${ownershipTag(identity.uuid)} (${ids}); remove the extra ones`);
  }
  if (owned[0]) return { kind: 'owned', vm: toLocation(owned[0]) };
  if (hinted && ownershipFromTags(hinted.tags, identity.uuid) === 'unmarked' && hinted.name === identity.name) {
    return { kind: 'unverified', vm: toLocation(hinted) };
  }
  return { kind: 'absent' };
}

/** Why an action refuses to touch a VM that is probably the instance's but carries no ownership tag. */
export function unverifiedMessage(vm: VmLocation, identity: InstanceIdentity): string {
  return (
    `Proxmox VM ${vm.vmid} on node ${vm.node} is named '${identity.name}' but does not carry the tag ${ownershipTag(identity.uuid)}; ` +
    'extorch only acts on VMs it can prove belong to the instance. If it was created by the CloudStack reference extension, add that tag in Proxmox.'
  );
}

export function notFoundMessage(identity: InstanceIdentity): string {
  const hint = identity.vmidHint === undefined ? '' : ` (VMID hint ${identity.vmidHint})`;
  return `Proxmox VM of instance ${identity.internalName}${hint} not found: no VM carries the tag ${ownershipTag(identity.uuid)}`;
}
