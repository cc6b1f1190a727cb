import {
  bootOrderFormat,
  bridgeIdFormat,
  diskSizeFormat,
  dnsNameFormat,
  macAddressFormat,
  storageIdFormat,
  tagListFormat,
  volumeIdFormat,
  volumeOrPathFormat,
} from './formats.ts';
import type { ParamSchema, ParamSpec, PropertyFormat } from './validation.ts';

/**
 * The VM configuration keys the emulator accepts (a hand-picked subset of qemu-server's schema, with the same
 * types, ranges, enums and property-string grammars). A key outside this list is refused as "not defined in
 * schema", exactly as an unknown key is refused by a real server.
 */
const NIC_MODELS = ['e1000', 'e1000-82540em', 'e1000-82544gc', 'e1000-82545em', 'e1000e', 'i82551', 'i82557b', 'i82559er', 'ne2k_isa', 'ne2k_pci', 'pcnet', 'rtl8139', 'virtio', 'vmxnet3'] as const;

export const NET_FORMAT: PropertyFormat = {
  model: { type: 'string', defaultKey: true, enum: NIC_MODELS },
  macaddr: { type: 'string', optional: true, format: macAddressFormat },
  bridge: { type: 'string', optional: true, format: bridgeIdFormat },
  firewall: { type: 'boolean', optional: true },
  link_down: { type: 'boolean', optional: true },
  mtu: { type: 'integer', optional: true, minimum: 1, maximum: 65520 },
  queues: { type: 'integer', optional: true, minimum: 0, maximum: 64 },
  rate: { type: 'number', optional: true, minimum: 0 },
  tag: { type: 'integer', optional: true, minimum: 1, maximum: 4094 },
  trunks: { type: 'string', optional: true, pattern: /\d+(?:-\d+)?(?:;\d+(?:-\d+)?)*/ },
  ...Object.fromEntries(NIC_MODELS.map((model) => [model, { alias: 'macaddr', keyAlias: 'model' }])),
};

export const DRIVE_FORMAT: PropertyFormat = {
  file: { type: 'string', defaultKey: true, format: volumeOrPathFormat },
  volume: { alias: 'file' },
  media: { type: 'string', optional: true, enum: ['cdrom', 'disk'] },
  size: { type: 'string', optional: true, format: diskSizeFormat },
  format: { type: 'string', optional: true, enum: ['raw', 'qcow', 'qed', 'qcow2', 'vmdk', 'cloop'] },
  cache: { type: 'string', optional: true, enum: ['none', 'writethrough', 'writeback', 'unsafe', 'directsync'] },
  aio: { type: 'string', optional: true, enum: ['native', 'threads', 'io_uring'] },
  discard: { type: 'string', optional: true, enum: ['ignore', 'on'] },
  iothread: { type: 'boolean', optional: true },
  ssd: { type: 'boolean', optional: true },
  backup: { type: 'boolean', optional: true },
  replicate: { type: 'boolean', optional: true },
  ro: { type: 'boolean', optional: true },
  shared: { type: 'boolean', optional: true },
  snapshot: { type: 'boolean', optional: true },
  detect_zeroes: { type: 'boolean', optional: true },
  serial: { type: 'string', optional: true, maxLength: 60 },
  'import-from': { type: 'string', optional: true, format: volumeOrPathFormat },
};

const MEMORY_FORMAT: PropertyFormat = {
  current: { type: 'integer', defaultKey: true, minimum: 16 },
};

const AGENT_FORMAT: PropertyFormat = {
  enabled: { type: 'boolean', defaultKey: true },
  'freeze-fs': { type: 'boolean', optional: true },
  fstrim_cloned_disks: { type: 'boolean', optional: true },
  type: { type: 'string', optional: true, enum: ['virtio', 'isa'] },
};

const BOOT_FORMAT: PropertyFormat = {
  legacy: { type: 'string', defaultKey: true, optional: true, pattern: /[acdn]{1,4}/ },
  order: { type: 'string', optional: true, format: bootOrderFormat },
};

const UNUSED_FORMAT: PropertyFormat = {
  file: { type: 'string', defaultKey: true, format: volumeIdFormat },
  volume: { alias: 'file' },
};

const str = (extra: Partial<ParamSpec> = {}): ParamSpec => ({ type: 'string', optional: true, ...extra });
const int = (extra: Partial<ParamSpec> = {}): ParamSpec => ({ type: 'integer', optional: true, ...extra });
const bool: ParamSpec = { type: 'boolean', optional: true };

export const OSTYPES = ['other', 'wxp', 'w2k', 'w2k3', 'w2k8', 'wvista', 'win7', 'win8', 'win10', 'win11', 'l24', 'l26', 'solaris'] as const;
export const LOCKS = ['backup', 'clone', 'create', 'migrate', 'rollback', 'snapshot', 'snapshot-delete', 'suspending', 'suspended'] as const;

/** Drive keys and their counts (`scsi0`…`scsi30` and so on). */
export const DRIVE_BUSES = { ide: 4, sata: 6, scsi: 31, virtio: 16 } as const;

export const VM_CONFIG_KEYS: ParamSchema = {
  name: str({ format: dnsNameFormat }),
  description: str({ maxLength: 8192 }),
  tags: str({ format: tagListFormat }),
  memory: str({ format: MEMORY_FORMAT }),
  balloon: int({ minimum: 0 }),
  sockets: int({ minimum: 1 }),
  cores: int({ minimum: 1 }),
  vcpus: int({ minimum: 1 }),
  cpu: str(),
  cpulimit: { type: 'number', optional: true, minimum: 0, maximum: 128 },
  cpuunits: int({ minimum: 1, maximum: 262144 }),
  numa: bool,
  ostype: str({ enum: OSTYPES }),
  scsihw: str({ enum: ['lsi', 'lsi53c810', 'virtio-scsi-pci', 'virtio-scsi-single', 'megasas', 'pvscsi'] }),
  bios: str({ enum: ['seabios', 'ovmf'] }),
  machine: str(),
  boot: str({ format: BOOT_FORMAT }),
  bootdisk: str({ pattern: /(ide|sata|scsi|virtio)\d+/ }),
  agent: str({ format: AGENT_FORMAT }),
  onboot: bool,
  acpi: bool,
  kvm: bool,
  tablet: bool,
  localtime: bool,
  protection: bool,
  template: bool,
  lock: str({ enum: LOCKS }),
  smbios1: str({ maxLength: 512 }),
  vmgenid: str({ pattern: /(?:[a-fA-F0-9]{8}(?:-[a-fA-F0-9]{4}){3}-[a-fA-F0-9]{12}|[01])/ }),
  vga: str(),
  hotplug: str(),
  startup: str(),
  ciuser: str(),
  cipassword: str(),
  citype: str({ enum: ['configdrive2', 'nocloud', 'opennebula'] }),
  sshkeys: str(),
  nameserver: str(),
  searchdomain: str(),
  cdrom: str({ format: DRIVE_FORMAT }),
  'ipconfig[n]': str({ count: 32 }),
  'net[n]': str({ count: 32, format: NET_FORMAT }),
  'ide[n]': str({ count: DRIVE_BUSES.ide, format: DRIVE_FORMAT }),
  'sata[n]': str({ count: DRIVE_BUSES.sata, format: DRIVE_FORMAT }),
  'scsi[n]': str({ count: DRIVE_BUSES.scsi, format: DRIVE_FORMAT }),
  'virtio[n]': str({ count: DRIVE_BUSES.virtio, format: DRIVE_FORMAT }),
  'unused[n]': str({ count: 256, format: UNUSED_FORMAT }),
  'serial[n]': str({ count: 4, pattern: /(\/dev\/.+|socket)/ }),
  vmstatestorage: str({ format: storageIdFormat }),
};

/** Keys whose values are drives (and may allocate a disk with `<storage>:<size-in-GiB>`). */
export function isDriveKey(key: string): boolean {
  const match = /^(ide|sata|scsi|virtio)(\d+)$/.exec(key);
  return match !== null && Number(match[2]) < DRIVE_BUSES[match[1] as keyof typeof DRIVE_BUSES];
}

export function isNetKey(key: string): boolean {
  return /^net\d+$/.test(key);
}

/** Integers and booleans are numbers in API answers; everything else (memory included, since 8.x) is a string. */
export function configValueForApi(key: string, value: string): string | number {
  const spec = VM_CONFIG_KEYS[key] ?? VM_CONFIG_KEYS[key.replace(/\d+$/, '[n]')];
  if (spec && (spec.type === 'integer' || spec.type === 'number' || spec.type === 'boolean')) return Number(value);
  return value;
}
