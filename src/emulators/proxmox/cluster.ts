import { createHash } from 'node:crypto';
import { handlerError } from './errors.ts';
import type { TaskEngine, TaskTiming } from './tasks.ts';
import { DRIVE_FORMAT, isDriveKey } from './vm-config.ts';
import { parsePropertyString } from './validation.ts';
import type { ClusterData, StorageDefinition, VmRecord, VolumeRecord } from './state.ts';
import { GiB, nowSeconds } from './state.ts';

/** The lowest and the exclusive upper VMID that `/cluster/nextid` hands out (datacenter.cfg defaults). */
export const NEXTID_LOWER = 100;
export const NEXTID_UPPER = 1_000_000;

/**
 * Access to the emulated cluster with the lookups and the error texts the real handlers use. Handlers in
 * `qemu-api.ts` and `cluster-api.ts` go through this class instead of touching `ClusterData` directly.
 */
export class Cluster {
  constructor(
    public data: ClusterData,
    readonly tasks: TaskEngine,
    readonly timing: () => TaskTiming,
  ) {}

  /** A node name that resolves nowhere fails like pveproxy's forwarding does. */
  requireNode(node: string): void {
    if (!this.data.nodes.includes(node)) {
      throw handlerError(`hostname lookup '${node}' failed - failed to get address info for: ${node}: Name or service not known`);
    }
  }

  findVm(vmid: number): VmRecord | undefined {
    return this.data.vms.find((vm) => vm.vmid === vmid);
  }

  /** The VM whose config file lives on `node`, or the real "does not exist" error. */
  vmOnNode(node: string, vmid: number): VmRecord {
    this.requireNode(node);
    const vm = this.findVm(vmid);
    if (!vm || vm.node !== node) throw handlerError(missingConfigMessage(node, vmid));
    return vm;
  }

  storage(storageId: string): StorageDefinition {
    const storage = this.data.storages.find((candidate) => candidate.storage === storageId);
    if (!storage) throw handlerError(`storage '${storageId}' does not exist`);
    return storage;
  }

  /** The lock name a storage operation takes: cluster-wide for shared storage, per node for local storage. */
  storageLockKey(node: string, storageId: string): string {
    const storage = this.storage(storageId);
    return storage.shared ? storageId : `${node}/${storageId}`;
  }

  volumesOn(node: string, storageId: string): VolumeRecord[] {
    const storage = this.storage(storageId);
    return this.data.volumes.filter((volume) => volume.storage === storageId && (storage.shared || volume.node === node));
  }

  findVolume(node: string, volid: string): VolumeRecord | undefined {
    const storageId = volid.split(':')[0] ?? '';
    if (!this.data.storages.some((storage) => storage.storage === storageId)) return undefined;
    return this.volumesOn(node, storageId).find((volume) => volume.volid === volid);
  }

  /** Allocates `vm-<vmid>-disk-<n>` (or `base-…` for templates) on a storage. */
  allocateDisk(node: string, storageId: string, vmid: number, sizeBytes: number, prefix: 'vm' | 'base' = 'vm', baseOf?: string): VolumeRecord {
    const storage = this.storage(storageId);
    const taken = new Set(this.volumesOn(node, storageId).map((volume) => volume.volid.replace(/^.*\//, '').replace(/^[^:]*:/, '')));
    let index = 0;
    while (taken.has(`vm-${vmid}-disk-${index}`) || taken.has(`base-${vmid}-disk-${index}`)) index += 1;
    const name = `${prefix}-${vmid}-disk-${index}`;
    const volume: VolumeRecord = {
      volid: `${storageId}:${baseOf ? `${baseOf}/` : ''}${name}`,
      storage: storageId,
      ...(storage.shared ? {} : { node }),
      content: 'images',
      format: 'raw',
      sizeBytes,
      vmid,
      ctime: nowSeconds(),
    };
    this.data.volumes.push(volume);
    return volume;
  }

  /** Allocates a volume with a given name (e.g. `vm-<vmid>-state-<snapshot>` for a RAM snapshot). */
  allocateNamedVolume(node: string, storageId: string, vmid: number, name: string, sizeBytes: number): VolumeRecord {
    const storage = this.storage(storageId);
    const volume: VolumeRecord = { volid: `${storageId}:${name}`, storage: storageId, ...(storage.shared ? {} : { node }), content: 'images', format: 'raw', sizeBytes, vmid, ctime: nowSeconds() };
    this.data.volumes.push(volume);
    return volume;
  }

  removeVolume(node: string, volid: string): boolean {
    const volume = this.findVolume(node, volid);
    if (!volume) return false;
    this.data.volumes.splice(this.data.volumes.indexOf(volume), 1);
    return true;
  }

  /** The lowest free VMID ≥ 100, as nextid answers it (a hint: nothing is reserved). */
  nextFreeVmid(): number | undefined {
    const used = new Set(this.data.vms.map((vm) => vm.vmid));
    for (let vmid = NEXTID_LOWER; vmid < NEXTID_UPPER; vmid += 1) if (!used.has(vmid)) return vmid;
    return undefined;
  }
}

export function missingConfigMessage(node: string, vmid: number): string {
  return `Configuration file 'nodes/${node}/qemu-server/${vmid}.conf' does not exist`;
}

/** `check_lock`: most operations refuse a VM whose config carries a lock. */
export function lockProblem(vm: VmRecord): string | undefined {
  return vm.config.lock ? `VM is locked (${vm.config.lock})` : undefined;
}

export function isTemplate(vm: VmRecord): boolean {
  return vm.config.template === '1';
}

/** SHA1 over the config file's text, as `digest` is. */
export function configDigest(vm: VmRecord): string {
  const text = Object.entries(vm.config)
    .map(([key, value]) => `${key}: ${value}\n`)
    .join('');
  const snapshots = vm.snapshots.map((snapshot) => `[${snapshot.name}]\n`).join('');
  return createHash('sha1').update(text + snapshots).digest('hex');
}

/** Volumes a drive entry points at (skipping CD-ROMs and `none`). */
export function diskVolume(key: string, value: string): string | undefined {
  if (!isDriveKey(key) && !/^unused\d+$/.test(key)) return undefined;
  const parsed = parsePropertyString(value, DRIVE_FORMAT);
  const file = parsed.file ?? '';
  if (parsed.media === 'cdrom' || file === 'none' || file === 'cdrom' || !file.includes(':')) return undefined;
  return file;
}

/** Every disk volume a VM references, in its config and its snapshots. */
export function referencedVolumes(vm: VmRecord): string[] {
  const volumes = new Set<string>();
  for (const config of [vm.config, ...vm.snapshots.map((snapshot) => snapshot.config)]) {
    for (const [key, value] of Object.entries(config)) {
      const volume = key === 'vmstate' ? value : diskVolume(key, value);
      if (volume) volumes.add(volume);
    }
  }
  return [...volumes];
}

export function parseSizeBytes(size: string | undefined): number {
  const match = /^(\d+(?:\.\d+)?)([KMGT])?$/.exec(size ?? '');
  if (!match) return 0;
  const unit = { K: 1024, M: 1024 ** 2, G: GiB, T: 1024 * GiB }[match[2] ?? ''] ?? 1;
  return Math.round(Number(match[1]) * unit);
}

export function formatSize(bytes: number): string {
  if (bytes % GiB === 0) return `${bytes / GiB}G`;
  if (bytes % (1024 ** 2) === 0) return `${bytes / 1024 ** 2}M`;
  return `${Math.ceil(bytes / 1024)}K`;
}
