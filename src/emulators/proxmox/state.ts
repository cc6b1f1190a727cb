import { randomBytes, randomUUID } from 'node:crypto';

/**
 * The emulated cluster's data: nodes, storages with their volumes, VMs with their textual configuration
 * (exactly the `key: value` pairs a `qemu-server/<vmid>.conf` holds) and snapshots. Everything here is
 * plain data so that it serialises to the `--state` file unchanged.
 */
export type PowerState = 'running' | 'stopped';

export interface SnapshotRecord {
  name: string;
  description: string;
  snaptime: number;
  vmstate: boolean;
  parent?: string;
  /** The configuration (and power state, when `vmstate`) at snapshot time. */
  config: Record<string, string>;
  running: boolean;
}

export interface VmRecord {
  vmid: number;
  node: string;
  /** Ordered `key: value` pairs of the VM's config file. */
  config: Record<string, string>;
  status: PowerState;
  /** QMP status: `paused` after suspend. */
  paused: boolean;
  /** Unix seconds when it was started (uptime). */
  startedAt?: number;
  pid?: number;
  snapshots: SnapshotRecord[];
  /** The snapshot the current state descends from. */
  parent?: string;
}

export type StorageType = 'dir' | 'lvmthin' | 'rbd';

export interface StorageDefinition {
  storage: string;
  type: StorageType;
  content: string[];
  shared: boolean;
  totalBytes: number;
}

export interface VolumeRecord {
  volid: string;
  storage: string;
  /** The node that holds a local volume; absent for shared storage. */
  node?: string;
  content: 'images' | 'iso' | 'vztmpl' | 'backup';
  format: string;
  sizeBytes: number;
  vmid?: number;
  ctime: number;
}

export interface ClusterData {
  nodes: string[];
  storages: StorageDefinition[];
  volumes: VolumeRecord[];
  vms: VmRecord[];
}

export const GiB = 1024 ** 3;
export const TEMPLATE_VMID = 9000;
export const TEMPLATE_NAME = 'ubuntu-24.04-template';
export const ISO_VOLID = 'local:iso/ubuntu-24.04-live-server-amd64.iso';

const STORAGES: StorageDefinition[] = [
  { storage: 'local', type: 'dir', content: ['iso', 'vztmpl', 'backup'], shared: false, totalBytes: 100 * GiB },
  { storage: 'local-lvm', type: 'lvmthin', content: ['images', 'rootdir'], shared: false, totalBytes: 400 * GiB },
  { storage: 'ceph-vm', type: 'rbd', content: ['images'], shared: true, totalBytes: 2048 * GiB },
];

/** The datacenter's MAC prefix (Proxmox's OUI), with the rest random. */
export function randomMac(): string {
  const tail = [...randomBytes(3)].map((byte) => byte.toString(16).padStart(2, '0').toUpperCase());
  return ['BC', '24', '11', ...tail].join(':');
}

export function newSmbiosUuid(): string {
  return `uuid=${randomUUID()}`;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The state every start begins with (unless restored): three storages per node, one ISO, one template. */
export function initialCluster(nodes: readonly string[]): ClusterData {
  const firstNode = nodes[0]!;
  const ctime = nowSeconds();
  const volumes: VolumeRecord[] = nodes.map((node) => ({
    volid: ISO_VOLID,
    storage: 'local',
    node,
    content: 'iso',
    format: 'iso',
    sizeBytes: 2_773_874_688,
    ctime,
  }));
  volumes.push({ volid: `ceph-vm:base-${TEMPLATE_VMID}-disk-0`, storage: 'ceph-vm', content: 'images', format: 'raw', sizeBytes: 8 * GiB, vmid: TEMPLATE_VMID, ctime });
  const template: VmRecord = {
    vmid: TEMPLATE_VMID,
    node: firstNode,
    config: {
      name: TEMPLATE_NAME,
      memory: '2048',
      sockets: '1',
      cores: '2',
      cpu: 'x86-64-v2-AES',
      ostype: 'l26',
      scsihw: 'virtio-scsi-single',
      scsi0: `ceph-vm:base-${TEMPLATE_VMID}-disk-0,iothread=1,size=8G`,
      net0: `virtio=${randomMac()},bridge=vmbr0,firewall=1`,
      boot: 'order=scsi0;net0',
      agent: '1',
      smbios1: newSmbiosUuid(),
      vmgenid: randomUUID(),
      template: '1',
      meta: `creation-qemu=9.2.0,ctime=${ctime}`,
    },
    status: 'stopped',
    paused: false,
    snapshots: [],
  };
  return { nodes: [...nodes], storages: STORAGES.map((storage) => ({ ...storage, content: [...storage.content] })), volumes, vms: [template] };
}
