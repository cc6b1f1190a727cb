import { HttpClientPool } from '../../clients/http/pool.ts';
import type { ProxmoxClient } from '../../clients/proxmox/client.ts';
import type { ProxmoxClientPolicy } from '../../clients/proxmox/policy.ts';
import { defineExtension, type ActionHandler, type Extension, type JsonObject } from '../../contract/extension.ts';
import type { Payload } from '../../contract/payload.ts';
import { createInstance } from './create.ts';
import { deleteInstance, hostStatuses, instanceConsole, instanceStatus, rebootInstance, startInstance, stopInstance } from './lifecycle.ts';
import { openClient, type ProxmoxSessionOptions } from './session.ts';
import { readConnection, readCreateSpec, readIdentity, readSnapshotRequest, type InstanceIdentity } from './settings.ts';
import { createSnapshot, deleteSnapshot, listSnapshots, restoreSnapshot } from './snapshots.ts';
import { allocateVmid, VmidReservations } from './vmids.ts';
import { ClusterListings } from './cluster-listing.ts';

/** CloudStack's reference extension waits 600 s when the caller gives no usable timeout. */
export const PROXMOX_DEFAULT_TIMEOUT_SECONDS = 600;

export interface ProxmoxExtensionOptions {
  /** Connections shared between invocations (one keep-alive pool per endpoint). */
  readonly connections?: HttpClientPool;
  /** VMIDs held between invocations of this extension; one per process unless a test wants its own. */
  readonly vmids?: VmidReservations;
  /** Cluster VM lists shared between in-process `create`s; one per process unless a test wants its own. */
  readonly listings?: ClusterListings;
  readonly policy?: ProxmoxClientPolicy;
}

type InstanceAction<Request> = (client: ProxmoxClient, identity: InstanceIdentity, request: Request) => Promise<JsonObject>;

const noRequest = (): undefined => undefined;

/**
 * The Proxmox VE extension: every action of CloudStack's reference `proxmox.sh`/`proxmox.py` with the same
 * payload keys, outputs and messages. Each handler reads and validates all its input (connection first, then
 * the instance, then action parameters) before the first remote call.
 */
export function createProxmoxExtension(options: ProxmoxExtensionOptions = {}): Extension {
  const session: ProxmoxSessionOptions = {
    connections: options.connections ?? new HttpClientPool(),
    vmids: options.vmids ?? new VmidReservations(),
    listings: options.listings ?? new ClusterListings(),
    ...(options.policy ? { policy: options.policy } : {}),
  };

  /** An action on the instance's VM: reads the host (with node), the instance and the action's own request first. */
  const onInstance =
    <Request>(readRequest: (payload: Payload) => Request, action: InstanceAction<Request>): ActionHandler =>
    async (payload, { deadline }) => {
      const host = readConnection(payload, { requireNode: true });
      const identity = { ...readIdentity(payload), hostNode: host.node };
      const request = readRequest(payload);
      return action(openClient(host, deadline, session), identity, request);
    };

  return defineExtension({
    name: 'proxmox',
    defaultTimeoutSeconds: PROXMOX_DEFAULT_TIMEOUT_SECONDS,
    handlers: {
      async prepare(payload, { deadline }) {
        // `prepare` only asks for an id: no node needed (the reference required one, issue #12816).
        const connection = readConnection(payload);
        readIdentity(payload);
        const vmid = await allocateVmid(openClient(connection, deadline, session), session.vmids);
        return { details: { proxmox_vmid: String(vmid) } };
      },
      async create(payload, { deadline }) {
        const host = readConnection(payload, { requireNode: true });
        const identity = readIdentity(payload);
        const spec = readCreateSpec(payload);
        return createInstance(openClient(host, deadline, session), host, identity, spec, session);
      },
      start: onInstance(noRequest, startInstance),
      stop: onInstance(noRequest, stopInstance),
      reboot: onInstance(noRequest, rebootInstance),
      delete: onInstance(noRequest, deleteInstance),
      status: onInstance(noRequest, instanceStatus),
      async statuses(payload, { deadline }) {
        const host = readConnection(payload, { requireNode: true });
        return hostStatuses(openClient(host, deadline, session), host);
      },
      getconsole: onInstance(noRequest, instanceConsole),
      listsnapshots: onInstance(noRequest, listSnapshots),
      createsnapshot: onInstance(readSnapshotRequest, createSnapshot),
      restoresnapshot: onInstance(readSnapshotRequest, restoreSnapshot),
      deletesnapshot: onInstance(readSnapshotRequest, deleteSnapshot),
    },
  });
}

/** The extension with a process-wide connection pool: what the orchestrator and `extorch-proxmox` use. */
export const proxmoxExtension: Extension = createProxmoxExtension();
