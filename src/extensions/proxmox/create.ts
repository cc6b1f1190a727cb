import { TransportError } from '../../clients/http/client.ts';
import type { ProxmoxClient } from '../../clients/proxmox/client.ts';
import { ProxmoxApiError, ProxmoxTaskTimeoutError } from '../../clients/proxmox/errors.ts';
import type { FormParameters } from '../../clients/proxmox/form.ts';
import type { ClusterVmResource } from '../../clients/proxmox/types.ts';
import { parseUpid } from '../../clients/proxmox/upid.ts';
import { Deadline, sleep } from '../../contract/deadline.ts';
import { ExtensionError, type JsonObject } from '../../contract/extension.ts';
import { runSaga, type Saga } from '../../contract/saga.ts';
import { destroyVm } from './lifecycle.ts';
import { ownershipDescription, ownershipFromConfig, ownershipFromTags, qemuGuests, tagsForInstance } from './ownership.ts';
import type { CreateSpec, HostSettings, InstanceIdentity, NicSpec } from './settings.ts';
import { allocateVmid, type VmidReservations } from './vmids.ts';
import type { ClusterListings } from './cluster-listing.ts';

/**
 * `create` as a saga: allocate (clone or create) → configure CPU/memory/tags and NICs (one update) → start. The undo of the
 * allocation is registered the moment Proxmox accepted it, and removes only that VM, after checking it still
 * carries this instance's marks.
 */

/** How a VMID found taken (by a creator in another process) is replaced: a fresh allocation per attempt, with jitter between attempts. */
export const VMID_ALLOCATION = { maxAttempts: 8, retryDelayMs: { min: 10, max: 150 } } as const;

/** Time kept back from the invocation's deadline so a failed create can still remove what it made. */
export const CLEANUP_RESERVE = { fraction: 0.2, minMs: 1_000, maxMs: 30_000 } as const;

/** Hardware of a VM created from an ISO (as the reference extension creates it). */
export const ISO_VM_HARDWARE = { scsihw: 'virtio-scsi-single', cpu: 'x86-64-v2-AES', sockets: 1, numa: false } as const;

/** `virtio=<MAC>,bridge=<bridge>[,tag=<vlan>],firewall=0`: no `tag` at all for an untagged network. */
export function netProperty(nic: NicSpec, bridge: string): string {
  const parts = [`virtio=${nic.mac.toUpperCase()}`, `bridge=${bridge}`];
  if (nic.vlan !== undefined) parts.push(`tag=${nic.vlan}`);
  parts.push('firewall=0');
  return parts.join(',');
}

/** The `netN` settings for the instance's NICs (numbered without gaps) and the extra `netN` to delete. */
export function nicConfiguration(nics: readonly NicSpec[], bridge: string | undefined, existingKeys: readonly string[]): FormParameters {
  const parameters: Record<string, string> = {};
  nics.forEach((nic, index) => {
    // readCreateSpec guarantees a bridge whenever there are NICs.
    parameters[`net${index}`] = netProperty(nic, bridge ?? '');
  });
  const stale = existingKeys.filter((key) => !(key in parameters)).sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)));
  if (stale.length > 0) parameters['delete'] = stale.join(',');
  return parameters;
}

function netKeys(config: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(config).filter((key) => /^net\d+$/.test(key));
}

function reserveFor(deadline: Deadline): number {
  const { fraction, minMs, maxMs } = CLEANUP_RESERVE;
  return Math.min(maxMs, Math.max(minMs, deadline.remainingMs() * fraction));
}

function jitterMs(attempt: number): number {
  const { min, max } = VMID_ALLOCATION.retryDelayMs;
  return min + Math.random() * (max - min) * attempt;
}

interface PendingTask {
  readonly upid: string;
  readonly node: string;
  finished: boolean;
}

/**
 * Removes a VM this invocation created. A task still running on it (after a timeout) is asked to stop first;
 * the VM is then destroyed only if it still carries this instance's marks (or, before tagging, the name we gave).
 */
async function removeCreatedVm(client: ProxmoxClient, vmid: number, identity: InstanceIdentity, pending: PendingTask): Promise<void> {
  if (!pending.finished) {
    await client.stopTask(pending.node, pending.upid).catch(() => undefined);
    await client.waitForTask(pending.upid).catch(() => undefined);
  }
  const row = (await client.clusterVms()).find((entry) => Number(entry.vmid) === vmid);
  if (!row) return;
  const ownership = ownershipFromConfig(await client.vmConfig(row.node, vmid), identity.uuid);
  if (ownership === 'foreign' || (ownership === 'unmarked' && row.name !== identity.name)) {
    throw new Error(`VM ${vmid} on node ${row.node} does not carry this instance's marks any more; left untouched`);
  }
  await destroyVm(client, row.node, vmid);
}

interface Allocation {
  readonly vmid: number;
}

async function allocateVm(
  forward: ProxmoxClient,
  cleanup: ProxmoxClient,
  saga: Saga,
  host: HostSettings,
  identity: InstanceIdentity,
  spec: CreateSpec,
  resources: readonly ClusterVmResource[],
  reservations: VmidReservations,
): Promise<Allocation> {
  const { source } = spec;
  let templateNode = host.node;
  if (source.kind === 'template') {
    const findTemplate = (rows: readonly ClusterVmResource[]) => rows.find((row) => row.type === 'qemu' && Number(row.vmid) === source.templateVmid);
    // The shared list may predate the template: only a fresh one can say it is missing.
    const template = findTemplate(resources) ?? findTemplate(await forward.clusterVms());
    if (!template) throw new ExtensionError(`Template VM ${source.templateVmid} not found in the Proxmox cluster`);
    templateNode = template.node;
  }
  const description = ownershipDescription(identity);
  const startAllocation = (vmid: number): Promise<string> => {
    if (source.kind === 'template') {
      return forward.cloneVm(templateNode, source.templateVmid, {
        newid: vmid,
        name: identity.name,
        description,
        full: source.fullClone,
        // Proxmox rejects `storage` for linked clones; they stay on the template's storage.
        storage: source.fullClone ? source.storage : undefined,
        target: templateNode !== host.node ? host.node : undefined,
      });
    }
    return forward.createVm(host.node, {
      vmid,
      name: identity.name,
      description,
      tags: tagsForInstance(undefined, identity.uuid),
      ide2: `${source.isoPath},media=cdrom`,
      ostype: source.osType,
      scsihw: ISO_VM_HARDWARE.scsihw,
      scsi0: `${source.storage}:${source.diskSizeGb},iothread=on`,
      sockets: ISO_VM_HARDWARE.sockets,
      cores: spec.cpus,
      numa: ISO_VM_HARDWARE.numa,
      cpu: ISO_VM_HARDWARE.cpu,
      memory: spec.memoryMiB,
    });
  };

  const taken = new Set<number>();
  for (let attempt = 1; ; attempt += 1) {
    let vmid: number;
    if (attempt === 1 && identity.vmidHint !== undefined) {
      vmid = identity.vmidHint;
      reservations.hold(vmid);
    } else {
      vmid = await allocateVmid(forward, reservations, taken);
    }
    try {
      let upid: string;
      try {
        upid = await startAllocation(vmid);
      } catch (error) {
        // Another creator may have taken the id since it was handed out: ask Proxmox (structurally) and retry.
        const collision = error instanceof ProxmoxApiError && attempt < VMID_ALLOCATION.maxAttempts && !(await forward.isVmidFree(vmid));
        if (!collision) {
          // No answer: Proxmox may have created the VM anyway. The undo checks the marks before removing anything.
          if (error instanceof TransportError) {
            saga.onUndo(`remove VM ${vmid}`, () => removeCreatedVm(cleanup, vmid, identity, { upid: '', node: templateNode, finished: true }));
          }
          throw error;
        }
        taken.add(vmid);
        await sleep(jitterMs(attempt), forward.deadline.signal);
        continue;
      }
      const pending: PendingTask = { upid, node: parseUpid(upid)?.node ?? templateNode, finished: false };
      saga.onUndo(`remove VM ${vmid}`, () => removeCreatedVm(cleanup, vmid, identity, pending));
      try {
        await forward.waitForTask(upid);
        pending.finished = true;
      } catch (error) {
        if (!(error instanceof ProxmoxTaskTimeoutError)) pending.finished = true;
        throw error;
      }
      return { vmid };
    } finally {
      // Proxmox now knows the id (or it was not ours to keep): nothing in this process needs to skip it any more.
      reservations.release(vmid);
    }
  }
}

/**
 * Removes VMs of this instance left by an earlier `create` that could not clean up (killed, or timed out while
 * a clone was still running): those tagged for the instance, and untagged ones with its name whose description
 * names its UUID (a clone finishes with our description but is tagged only in the next step).
 */
async function removeLeftovers(client: ProxmoxClient, resources: readonly ClusterVmResource[], identity: InstanceIdentity): Promise<void> {
  for (const row of qemuGuests(resources)) {
    const byTags = ownershipFromTags(row.tags, identity.uuid);
    const ours =
      byTags === 'ours' ||
      (byTags === 'unmarked' && row.name === identity.name && ownershipFromConfig(await client.vmConfig(row.node, Number(row.vmid)), identity.uuid) === 'ours');
    if (ours) await destroyVm(client, row.node, Number(row.vmid));
  }
}

/**
 * Step 2: one config update with the offering's CPU and memory and the ownership tag (clones only: an ISO VM
 * was created with them), and the instance's NICs as `net0..net(k-1)` and no other (a clone brings the
 * template's NICs, which are replaced or deleted).
 */
async function configureVm(client: ProxmoxClient, node: string, vmid: number, identity: InstanceIdentity, spec: CreateSpec): Promise<void> {
  let parameters: FormParameters;
  if (spec.source.kind === 'template') {
    const config = await client.vmConfig(node, vmid);
    parameters = {
      sockets: 1,
      cores: spec.cpus,
      memory: spec.memoryMiB,
      tags: tagsForInstance(config.tags, identity.uuid),
      ...nicConfiguration(spec.nics, spec.bridge, netKeys(config)),
    };
  } else {
    parameters = nicConfiguration(spec.nics, spec.bridge, []);
  }
  if (Object.keys(parameters).length > 0) await client.updateVmConfig(node, vmid, parameters);
}

export async function createInstance(
  client: ProxmoxClient,
  host: HostSettings,
  identity: InstanceIdentity,
  spec: CreateSpec,
  shared: { readonly vmids: VmidReservations; readonly listings: ClusterListings },
): Promise<JsonObject> {
  const overall = client.deadline;
  // The forward steps get the invocation's time minus a reserve, so that the undo can still run after a timeout.
  const forwardDeadline = Deadline.after(overall.remainingMs() - reserveFor(overall), overall.signal);
  const forward = client.withDeadline(forwardDeadline);
  try {
    await runSaga(async (saga) => {
      const resources = await shared.listings.recent(forward);
      await removeLeftovers(forward, resources, identity);
      const { vmid } = await allocateVm(forward, client, saga, host, identity, spec, resources, shared.vmids);
      await configureVm(forward, host.node, vmid, identity, spec);
      await forward.runTask(forward.powerVm(host.node, vmid, 'start'));
    });
  } catch (error) {
    // What this create made may have outlived its undo: the next create must look at a fresh list.
    shared.listings.invalidate(client);
    throw error;
  } finally {
    forwardDeadline.dispose();
  }
  return { status: 'success', message: 'Instance created' };
}
