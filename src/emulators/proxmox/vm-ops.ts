import { randomInt, randomUUID } from 'node:crypto';
import type { Cluster } from './cluster.ts';
import { diskVolume, formatSize, parseSizeBytes } from './cluster.ts';
import { handlerError, parameterError } from './errors.ts';
import { GiB, newSmbiosUuid, nowSeconds, randomMac } from './state.ts';
import type { VmRecord } from './state.ts';
import { DRIVE_FORMAT, NET_FORMAT, VM_CONFIG_KEYS, configValueForApi, isDriveKey, isNetKey } from './vm-config.ts';
import { lookupSpec, parsePropertyString, printPropertyString } from './validation.ts';
import type { ParsedParams } from './validation.ts';

/**
 * VM configuration helpers shared by create, clone and the config endpoints: normalising values the way
 * qemu-server stores them, disk allocation requests and the summary figures the list endpoints report.
 */
export interface NormalisedSetting {
  key: string;
  value: string;
  /** `<storage>:<size>` asked for a new disk of this size on this storage. */
  newDisk?: { storage: string; sizeBytes: number };
}

const NEW_DISK = /^([a-z][a-z0-9\-_.]*[a-z0-9]):(\d+(?:\.\d+)?)$/i;

/** Config keys present in `params` (everything the VM config schema knows), in request order. */
export function configSettings(params: ParsedParams): Array<[string, string]> {
  return Object.entries(params)
    .filter(([key]) => lookupSpec(VM_CONFIG_KEYS, key) !== undefined)
    .map(([key, value]) => (key === 'cdrom' ? resolveCdromAlias(String(value)) : [key, String(value)]));
}

/** `cdrom=<volume>` is an alias of `ide2=<volume>,media=cdrom` (`resolve_cdrom_alias`). */
function resolveCdromAlias(value: string): [string, string] {
  const parsed = parsePropertyString(value, DRIVE_FORMAT);
  parsed.media = 'cdrom';
  return ['ide2', printPropertyString(parsed, DRIVE_FORMAT)];
}

/** Checks storages synchronously (like `check_storage_access`) and normalises property strings. */
export function normaliseSetting(cluster: Cluster, key: string, value: string): NormalisedSetting {
  if (isNetKey(key)) {
    const parsed = parsePropertyString(value, NET_FORMAT);
    // A given MAC is kept as written (qemu-server does not change its case); a missing one is generated.
    if (parsed.macaddr === undefined) parsed.macaddr = randomMac();
    return { key, value: printPropertyString(parsed, NET_FORMAT) };
  }
  if (isDriveKey(key)) {
    const parsed = parsePropertyString(value, DRIVE_FORMAT);
    const file = parsed.file ?? '';
    const newDisk = NEW_DISK.exec(file);
    if (newDisk && parsed.media !== 'cdrom') {
      const storage = cluster.storage(newDisk[1]!);
      if (!storage.content.includes('images')) throw handlerError(`storage '${storage.storage}' does not support vm images`);
      const sizeBytes = Math.round(Number(newDisk[2]) * GiB);
      return { key, value: printPropertyString(parsed, DRIVE_FORMAT), newDisk: { storage: storage.storage, sizeBytes } };
    }
    if (file.includes(':') && parsed.media !== 'cdrom') {
      cluster.storage(file.split(':')[0]!);
    }
    return { key, value: printPropertyString(parsed, DRIVE_FORMAT) };
  }
  // Tags are stored de-duplicated and `;`-separated (get_unique_tags).
  if (key === 'tags') return { key, value: [...new Set(value.split(/[;,\s]+/).filter(Boolean))].join(';') };
  if (key === 'vmgenid' && value === '1') return { key, value: randomUUID() };
  const spec = lookupSpec(VM_CONFIG_KEYS, key);
  if (spec && (spec.type === 'integer' || spec.type === 'number' || spec.type === 'boolean')) return { key, value: String(Number(value)) };
  return { key, value };
}

/** Replaces the `<storage>:<size>` shorthand with the allocated volume and records the size. */
export function withAllocatedVolume(value: string, volid: string, sizeBytes: number): string {
  const parsed = parsePropertyString(value, DRIVE_FORMAT);
  parsed.file = volid;
  parsed.size = formatSize(sizeBytes);
  return printPropertyString(parsed, DRIVE_FORMAT);
}

/** The default boot order qemu-server writes: first disk, CD-ROMs, first NIC. */
export function defaultBootOrder(config: Record<string, string>): string | undefined {
  const drives = Object.keys(config).filter(isDriveKey);
  const disks = drives.filter((key) => diskVolume(key, config[key]!) !== undefined);
  const cdroms = drives.filter((key) => /media=cdrom/.test(config[key]!));
  const nets = Object.keys(config).filter(isNetKey).sort();
  const order = [...disks.slice(0, 1), ...cdroms, ...nets.slice(0, 1)];
  return order.length > 0 ? `order=${order.join(';')}` : undefined;
}

/**
 * What create_vm adds to a new VM's config: creation metadata, an SMBIOS uuid unless `smbios1` was given, and
 * a generation id unless one was given (`vmgenid=1` asks for a generated one).
 */
export function withCreationIdentity(config: Record<string, string>): Record<string, string> {
  const result: Record<string, string> = { ...config, meta: `creation-qemu=9.2.0,ctime=${nowSeconds()}` };
  if (!result.smbios1) result.smbios1 = newSmbiosUuid();
  if (!result.vmgenid || result.vmgenid === '1') result.vmgenid = randomUUID();
  return result;
}

/** New MACs on every NIC (clones must not share addresses). */
export function withNewMacs(config: Record<string, string>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (isNetKey(key)) {
      const parsed = parsePropertyString(value, NET_FORMAT);
      parsed.macaddr = randomMac();
      result[key] = printPropertyString(parsed, NET_FORMAT);
    } else {
      result[key] = value;
    }
  }
  return result;
}

/** Renames `vm-<id>-disk-N` volumes to `base-<id>-disk-N` (template conversion). */
export function convertDisksToBase(cluster: Cluster, vm: VmRecord): void {
  for (const [key, value] of Object.entries(vm.config)) {
    const volid = diskVolume(key, value);
    if (!volid || !volid.includes(`vm-${vm.vmid}-disk-`) || volid.includes('/')) continue;
    const baseVolid = volid.replace(`vm-${vm.vmid}-disk-`, `base-${vm.vmid}-disk-`);
    const volume = cluster.findVolume(vm.node, volid);
    if (volume) volume.volid = baseVolid;
    const parsed = parsePropertyString(value, DRIVE_FORMAT);
    parsed.file = baseVolid;
    vm.config[key] = printPropertyString(parsed, DRIVE_FORMAT);
  }
  vm.config.template = '1';
}

export function memoryMiB(vm: VmRecord): number {
  const raw = vm.config.memory;
  if (!raw) return 512;
  const match = /(?:^|,)(?:current=)?(\d+)(?:,|$)/.exec(raw);
  return match ? Number(match[1]) : 512;
}

export function cpuCount(vm: VmRecord): number {
  if (vm.config.vcpus) return Number(vm.config.vcpus);
  return Number(vm.config.sockets ?? 1) * Number(vm.config.cores ?? 1);
}

/**
 * Sizes of drive values already seen. Clones share their drive strings, and parsing them for every VM of every
 * `/cluster/resources` answer was most of the emulator's time in deploy benchmarks (the listing grows with the
 * cluster). Bounded: cleared when full.
 */
const DRIVE_SIZE_MEMO = { maxEntries: 10_000 } as const;
const driveSizes = new Map<string, number | null>();

/** Size of a drive key's value, or null when it is no disk (a CD-ROM, `none`). */
function diskSizeBytes(key: string, value: string): number | null {
  const known = driveSizes.get(value);
  if (known !== undefined) return known;
  const size = diskVolume(key, value) !== undefined ? parseSizeBytes(parsePropertyString(value, DRIVE_FORMAT).size) : null;
  if (driveSizes.size >= DRIVE_SIZE_MEMO.maxEntries) driveSizes.clear();
  driveSizes.set(value, size);
  return size;
}

/** The first character of every drive key (ide, sata, scsi, virtio): a cheap filter before the key's regex. */
const DRIVE_KEY_INITIALS = new Set(['i', 's', 'v']);

export function bootDiskBytes(vm: VmRecord): number {
  for (const key in vm.config) {
    if (!DRIVE_KEY_INITIALS.has(key[0]!) || !isDriveKey(key)) continue;
    const size = diskSizeBytes(key, vm.config[key]!);
    if (size !== null) return size;
  }
  return 0;
}

export function uptimeOf(vm: VmRecord): number {
  return vm.status === 'running' && vm.startedAt !== undefined ? Math.max(0, nowSeconds() - vm.startedAt) : 0;
}

export function markRunning(vm: VmRecord): void {
  vm.status = 'running';
  vm.paused = false;
  vm.startedAt = nowSeconds();
  vm.pid = 10_000 + randomInt(900_000);
}

export function markStopped(vm: VmRecord): void {
  vm.status = 'stopped';
  vm.paused = false;
  delete vm.startedAt;
  delete vm.pid;
}

/** The API rendering of a config (integers and booleans as numbers). */
export function configForApi(config: Record<string, string>): Record<string, string | number> {
  return Object.fromEntries(Object.entries(config).map(([key, value]) => [key, key === 'cipassword' ? '**********' : configValueForApi(key, value)]));
}

/** Parameters that may not be combined with `delete` of the same key, like update_vm_api checks. */
export function parseDeleteList(params: ParsedParams): string[] {
  const raw = params.delete === undefined ? '' : String(params.delete);
  const keys = raw
    .split(/[,;\s]+/)
    .filter(Boolean)
    .map((key) => (key === 'cdrom' ? 'ide2' : key));
  for (const key of keys) {
    if (params[key] !== undefined) throw parameterError({ delete: `you can't use '-${key}' and -delete ${key}' at the same time` });
    if (!lookupSpec(VM_CONFIG_KEYS, key)) throw parameterError({ delete: `unknown option '${key}'` });
  }
  return keys;
}

