import type { HttpClientPool } from '../../clients/http/pool.ts';
import { ProxmoxClient } from '../../clients/proxmox/client.ts';
import { DEFAULT_PROXMOX_POLICY, type ProxmoxClientPolicy } from '../../clients/proxmox/policy.ts';
import type { Deadline } from '../../contract/deadline.ts';
import type { ConnectionSettings } from './settings.ts';
import type { ClusterListings } from './cluster-listing.ts';
import type { VmidReservations } from './vmids.ts';

/** Connection limits per Proxmox endpoint, shared by all in-process invocations against it. */
export const PROXMOX_CONNECTION_LIMITS = { maxSockets: 16 } as const;

export interface ProxmoxSessionOptions {
  readonly connections: HttpClientPool;
  /** VMIDs handed out by invocations in this process and not yet created (see vmids.ts). */
  readonly vmids: VmidReservations;
  /** Recent cluster VM lists shared by in-process `create`s (see cluster-listing.ts). */
  readonly listings: ClusterListings;
  readonly policy?: ProxmoxClientPolicy;
}

/** A client for one invocation: pooled connection, the invocation's credentials and deadline. */
export function openClient(settings: ConnectionSettings, deadline: Deadline, options: ProxmoxSessionOptions): ProxmoxClient {
  const http = options.connections.get({
    baseUrl: settings.apiUrl,
    verifyTls: settings.verifyTls,
    ...(settings.caCertificate !== undefined ? { ca: settings.caCertificate } : {}),
    maxSockets: PROXMOX_CONNECTION_LIMITS.maxSockets,
  });
  return new ProxmoxClient({ http, token: settings.token, deadline, policy: options.policy ?? DEFAULT_PROXMOX_POLICY });
}
