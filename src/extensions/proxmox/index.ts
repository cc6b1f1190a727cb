import { HttpClientPool } from '../../clients/http/pool.ts';
import type { ProxmoxClientPolicy } from '../../clients/proxmox/policy.ts';
import { defineExtension, type Extension } from '../../contract/extension.ts';
import { createInstance } from './create.ts';
import { deleteInstance, hostStatuses, instanceConsole, instanceStatus, rebootInstance, startInstance, stopInstance } from './lifecycle.ts';
import { openClient } from './session.ts';
import { readConnection, readCreateSpec, readIdentity, readSnapshotRequest } from './settings.ts';
import { createSnapshot, deleteSnapshot, listSnapshots, restoreSnapshot } from './snapshots.ts';

/** CloudStack's reference extension waits 600 s when the caller gives no usable timeout. */
export const PROXMOX_DEFAULT_TIMEOUT_SECONDS = 600;

export interface ProxmoxExtensionOptions {
  /** Connections shared between invocations (one keep-alive pool per endpoint). */
  readonly connections?: HttpClientPool;
  readonly policy?: ProxmoxClientPolicy;
}

/**
 * The Proxmox VE extension: every action of CloudStack's reference `proxmox.sh`/`proxmox.py` with the same
 * payload keys, outputs and messages. Each handler validates its input completely before the first remote call.
 */
export function createProxmoxExtension(options: ProxmoxExtensionOptions = {}): Extension {
  const session = { connections: options.connections ?? new HttpClientPool(), ...(options.policy ? { policy: options.policy } : {}) };

  return defineExtension({
    name: 'proxmox',
    defaultTimeoutSeconds: PROXMOX_DEFAULT_TIMEOUT_SECONDS,
    handlers: {
      async prepare(payload, { deadline }) {
        const connection = readConnection(payload);
        readIdentity(payload);
        const vmid = await openClient(connection, deadline, session).nextId();
        return { details: { proxmox_vmid: String(vmid) } };
      },
      async create(payload, { deadline }) {
        const host = readConnection(payload, { requireNode: true });
        const identity = readIdentity(payload);
        const spec = readCreateSpec(payload);
        return createInstance(openClient(host, deadline, session), host, identity, spec);
      },
      async start(payload, { deadline }) {
        const host = readConnection(payload, { requireNode: true });
        return startInstance(openClient(host, deadline, session), readIdentity(payload));
      },
      async stop(payload, { deadline }) {
        const host = readConnection(payload, { requireNode: true });
        return stopInstance(openClient(host, deadline, session), readIdentity(payload));
      },
      async reboot(payload, { deadline }) {
        const host = readConnection(payload, { requireNode: true });
        return rebootInstance(openClient(host, deadline, session), readIdentity(payload));
      },
      async delete(payload, { deadline }) {
        const host = readConnection(payload, { requireNode: true });
        return deleteInstance(openClient(host, deadline, session), readIdentity(payload));
      },
      async status(payload, { deadline }) {
        const host = readConnection(payload, { requireNode: true });
        return instanceStatus(openClient(host, deadline, session), readIdentity(payload));
      },
      async statuses(payload, { deadline }) {
        const host = readConnection(payload, { requireNode: true });
        return hostStatuses(openClient(host, deadline, session), host);
      },
      async getconsole(payload, { deadline }) {
        const host = readConnection(payload, { requireNode: true });
        return instanceConsole(openClient(host, deadline, session), readIdentity(payload));
      },
      async listsnapshots(payload, { deadline }) {
        const host = readConnection(payload, { requireNode: true });
        return listSnapshots(openClient(host, deadline, session), readIdentity(payload));
      },
      async createsnapshot(payload, { deadline }) {
        const host = readConnection(payload, { requireNode: true });
        const identity = readIdentity(payload);
        return createSnapshot(openClient(host, deadline, session), identity, readSnapshotRequest(payload));
      },
      async restoresnapshot(payload, { deadline }) {
        const host = readConnection(payload, { requireNode: true });
        const identity = readIdentity(payload);
        return restoreSnapshot(openClient(host, deadline, session), identity, readSnapshotRequest(payload));
      },
      async deletesnapshot(payload, { deadline }) {
        const host = readConnection(payload, { requireNode: true });
        const identity = readIdentity(payload);
        return deleteSnapshot(openClient(host, deadline, session), identity, readSnapshotRequest(payload));
      },
    },
  });
}

/** The extension with a process-wide connection pool: what the orchestrator and `extorch-proxmox` use. */
export const proxmoxExtension: Extension = createProxmoxExtension();
