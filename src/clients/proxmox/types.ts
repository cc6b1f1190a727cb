/**
 * Shapes of the Proxmox VE API answers this client reads (`data` of the envelope). Only the fields used are
 * typed; Proxmox booleans arrive as 0/1.
 */

export type VmPowerStatus = 'running' | 'stopped' | (string & {});

/** A row of `GET /cluster/resources?type=vm`. */
export interface ClusterVmResource {
  readonly id: string;
  readonly type: 'qemu' | 'lxc' | (string & {});
  readonly vmid: number;
  readonly node: string;
  readonly name?: string;
  readonly status?: VmPowerStatus;
  readonly template?: number;
  readonly lock?: string;
  /** `;`-separated tag list. */
  readonly tags?: string;
}

/** A row of `GET /nodes/{node}/qemu`. */
export interface NodeVmEntry {
  readonly vmid: number | string;
  readonly name?: string;
  readonly status?: VmPowerStatus;
  readonly template?: number;
  readonly lock?: string;
  readonly tags?: string;
}

/** `GET /nodes/{node}/qemu/{vmid}/status/current`. */
export interface VmCurrentStatus {
  readonly vmid?: number;
  readonly status: VmPowerStatus;
  readonly qmpstatus?: string;
  readonly name?: string;
  readonly lock?: string;
  readonly template?: number;
}

/** `GET /nodes/{node}/qemu/{vmid}/config`: a flat map of configuration keys. */
export type VmConfig = Readonly<Record<string, string | number | undefined>> & {
  readonly digest?: string;
  readonly tags?: string;
  readonly description?: string;
  readonly lock?: string;
};

/** `GET /nodes/{node}/tasks/{upid}/status`. */
export interface TaskStatus {
  readonly upid?: string;
  readonly status: 'running' | 'stopped' | (string & {});
  readonly exitstatus?: string;
  readonly type?: string;
  readonly id?: string;
}

/** A row of `GET /nodes/{node}/qemu/{vmid}/snapshot` (the last row is the pseudo-snapshot `current`). */
export interface SnapshotEntry {
  readonly name: string;
  readonly description?: string;
  readonly snaptime?: number;
  readonly vmstate?: number;
  readonly parent?: string;
  readonly running?: number;
}

/** `POST /nodes/{node}/qemu/{vmid}/vncproxy`. */
export interface VncProxyTicket {
  readonly port: number | string;
  readonly ticket: string;
  readonly upid?: string;
  readonly user?: string;
  readonly cert?: string;
}

/** A row of `GET /nodes/{node}/network`. */
export interface NodeNetworkInterface {
  readonly iface: string;
  readonly type: string;
  readonly method?: string;
  readonly address?: string;
  readonly cidr?: string;
  readonly active?: number | string;
}

export interface ProxmoxVersion {
  readonly version: string;
  readonly release?: string;
  readonly repoid?: string;
}
