import { parseEndpoint } from '../../clients/http/base-url.ts';
import type { ProxmoxApiToken } from '../../clients/proxmox/client.ts';
import { parseBooleanDetail, readDetail, readVmDetail } from '../../contract/details.ts';
import { ExtensionError } from '../../contract/extension.ts';
import type { Payload } from '../../contract/payload.ts';

/**
 * Reads and validates everything an action needs from the payload, before any remote call. Keys, defaults,
 * precedence (host over extension) and messages follow the CloudStack reference extension.
 */

export const PROXMOX_DEFAULTS = {
  port: 8006,
  storage: 'local-lvm',
  diskSizeGb: 64,
  isoOsType: 'l26',
  verifyTlsCertificate: true,
  isFullClone: false,
} as const;

/** Guest OS types accepted by Proxmox's `ostype`. */
const OS_TYPES = new Set(['other', 'wxp', 'w2k', 'w2k3', 'w2k8', 'wvista', 'win7', 'win8', 'win10', 'win11', 'l24', 'l26', 'solaris']);
const VM_NAME = /^[a-zA-Z0-9-]+$/;
const SNAPSHOT_NAME = /^[a-zA-Z0-9-]+$/;
const VM_UUID = /^[a-zA-Z0-9][a-zA-Z0-9-]{0,63}$/;
/** Proxmox storage ids (`pve-storage-id`); they end up inside property strings, so nothing else may pass. */
const STORAGE_ID = /^[a-zA-Z][a-zA-Z0-9._-]*$/;
/** A volume id such as `local:iso/ubuntu.iso`; commas or `=` would inject options into `ide2=…`. */
const ISO_VOLUME = /^[a-zA-Z][a-zA-Z0-9._-]*:[^\s,=;]+$/;

export interface ConnectionSettings {
  /** `https://host:8006/api2/json` (or the given scheme, port and path prefix). */
  readonly apiUrl: URL;
  readonly token: ProxmoxApiToken;
  readonly verifyTls: boolean;
  /** Extra trusted CA (PEM), e.g. the cluster's `/etc/pve/pve-root-ca.pem`, so verification can stay on. */
  readonly caCertificate?: string;
}

const PEM_CERTIFICATE = /^-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\s*$/;

export interface HostSettings extends ConnectionSettings {
  readonly node: string;
}

function missing(fields: readonly string[]): ExtensionError {
  return new ExtensionError(`Missing required fields: ${fields.join(' ')}`);
}

/** Connection details; `node` is required for every action that works on a node. */
export function readConnection(payload: Payload): ConnectionSettings;
export function readConnection(payload: Payload, options: { requireNode: true }): HostSettings;
export function readConnection(payload: Payload, options?: { requireNode: boolean }): ConnectionSettings | HostSettings {
  const read = (key: string) => readDetail(payload, key, ['host', 'extension']);
  const url = read('url');
  const user = read('user');
  const tokenId = read('token');
  const secret = read('secret');
  const node = readDetail(payload, 'node', ['host']);
  const absent = Object.entries({ url, user, token: tokenId, secret, ...(options?.requireNode ? { node } : {}) })
    .filter(([, value]) => value === undefined)
    .map(([key]) => key);
  if (absent.length > 0) throw missing(absent);
  const caCertificate = read('tls_ca_certificate');
  if (caCertificate !== undefined && !PEM_CERTIFICATE.test(caCertificate)) {
    throw new ExtensionError('Invalid tls_ca_certificate: expected PEM certificates (-----BEGIN CERTIFICATE----- …)');
  }
  const settings: ConnectionSettings = {
    apiUrl: apiUrlOf(url!),
    token: { user: user!, tokenId: tokenId!, secret: secret! },
    verifyTls: parseBooleanDetail(read('verify_tls_certificate'), PROXMOX_DEFAULTS.verifyTlsCertificate),
    ...(caCertificate !== undefined ? { caCertificate } : {}),
  };
  return options?.requireNode ? { ...settings, node: node! } : settings;
}

/** Accepts a bare host, `host:port` or a full URL (with or without `/api2/json`); https and 8006 by default. */
export function apiUrlOf(raw: string): URL {
  let endpoint: URL;
  try {
    endpoint = parseEndpoint(raw, { scheme: 'https', port: PROXMOX_DEFAULTS.port });
  } catch (error) {
    throw new ExtensionError(`Invalid url: ${(error as Error).message}`);
  }
  endpoint.pathname = `${endpoint.pathname.replace(/\/api2\/json$/i, '').replace(/\/+$/, '')}/api2/json`;
  return endpoint;
}

/** Who the CloudStack instance is: its UUID (the ownership key), names and the VMID hint from `prepare`. */
export interface InstanceIdentity {
  readonly uuid: string;
  readonly internalName: string;
  /** The Proxmox VM name: `vm_name` when given, else the internal name. */
  readonly name: string;
  /** `proxmox_vmid` from `prepare`: a hint, verified against the ownership tag before use. */
  readonly vmidHint?: number;
  /** The node of the host the instance was placed on: where the hinted VM is looked for first. */
  readonly hostNode?: string;
}

export function readIdentity(payload: Payload): InstanceIdentity {
  const vm = payload['cloudstack.vm.details'];
  const uuid = (payload.virtualmachineid ?? vm?.uuid ?? '').trim();
  const internalName = (vm?.name ?? payload.virtualmachinename ?? '').trim();
  if (internalName === '') throw missing(['vm_internal_name']);
  if (uuid === '') throw missing(['virtualmachineid']);
  if (!VM_UUID.test(uuid)) throw new ExtensionError(`Invalid virtualmachineid '${uuid}'`);
  const name = readVmDetail(payload, 'vm_name') ?? internalName;
  if (!VM_NAME.test(name)) {
    throw new ExtensionError(`Invalid VM name '${name}'. Only alphanumeric characters and dashes (-) are allowed.`);
  }
  const rawHint = vm?.details?.['proxmox_vmid']?.trim();
  const vmidHint = rawHint && /^[1-9]\d{2,8}$/.test(rawHint) ? Number(rawHint) : undefined;
  return { uuid, internalName, name, ...(vmidHint !== undefined ? { vmidHint } : {}) };
}

export interface NicSpec {
  readonly index: number;
  readonly mac: string;
  /** VLAN id, or undefined for an untagged network. */
  readonly vlan?: number;
}

export type CreateSource =
  | { readonly kind: 'template'; readonly templateVmid: number; readonly fullClone: boolean; readonly storage: string }
  | { readonly kind: 'iso'; readonly isoPath: string; readonly osType: string; readonly diskSizeGb: number; readonly storage: string };

export interface CreateSpec {
  readonly source: CreateSource;
  readonly cpus: number;
  readonly memoryMiB: number;
  /** `network_bridge`; only required when the instance has NICs. */
  readonly bridge?: string;
  readonly nics: readonly NicSpec[];
}

const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
const BRIDGE = /^[a-zA-Z][a-zA-Z0-9_.-]*$/;

/** VLAN of a NIC from its broadcast URI: untagged for none/empty/`vlan://untagged`, refused for other schemes. */
export function vlanOfNic(index: number, broadcastUri: string | undefined): number | undefined {
  const uri = (broadcastUri ?? '').trim();
  if (uri === '' || /^vlan:\/\/(untagged)?$/i.test(uri)) return undefined;
  const match = /^vlan:\/\/(\d+)$/i.exec(uri);
  const vlan = match ? Number(match[1]) : NaN;
  if (!(vlan >= 1 && vlan <= 4094)) {
    throw new ExtensionError(`Unsupported broadcast URI '${uri}' on NIC ${index}: only vlan://<1-4094> and untagged networks are supported`);
  }
  return vlan;
}

export function readCreateSpec(payload: Payload): CreateSpec {
  const vm = payload['cloudstack.vm.details'];
  const cpus = vm?.cpus ?? 0;
  const memoryMiB = Math.floor((vm?.minRam ?? 0) / (1024 * 1024));
  const bridge = readDetail(payload, 'network_bridge', ['host']);
  const nicsIn = [...(vm?.nics ?? [])].sort((a, b) => (a.deviceId ?? 0) - (b.deviceId ?? 0));
  const absent: string[] = [];
  if (nicsIn.length > 0 && bridge === undefined) absent.push('network_bridge');
  if (cpus <= 0) absent.push('vmcpus');
  if (memoryMiB <= 0) absent.push('vmmemory');
  if (absent.length > 0) throw missing(absent);
  if (bridge !== undefined && !BRIDGE.test(bridge)) throw new ExtensionError(`Invalid network_bridge '${bridge}'`);

  const nics = nicsIn.map((nic, index) => {
    const mac = (nic.mac ?? '').trim();
    if (!MAC.test(mac)) throw new ExtensionError(`Invalid MAC address '${mac}' on NIC ${index}`);
    const vlan = vlanOfNic(index, nic.broadcastUri);
    return { index, mac, ...(vlan !== undefined ? { vlan } : {}) };
  });

  const storage = readVmDetail(payload, 'storage') ?? PROXMOX_DEFAULTS.storage;
  if (!STORAGE_ID.test(storage)) throw new ExtensionError(`Invalid storage '${storage}'`);
  const templateType = (readVmDetail(payload, 'template_type') ?? '').toLowerCase();
  let source: CreateSource;
  if (templateType === 'iso') {
    const isoPath = readVmDetail(payload, 'iso_path');
    if (isoPath === undefined) throw missing(['iso_path']);
    if (!ISO_VOLUME.test(isoPath)) throw new ExtensionError(`Invalid iso_path '${isoPath}': expected a volume id such as local:iso/image.iso`);
    const osType = readVmDetail(payload, 'iso_os_type') ?? PROXMOX_DEFAULTS.isoOsType;
    if (!OS_TYPES.has(osType)) throw new ExtensionError(`Invalid iso_os_type '${osType}': expected one of ${[...OS_TYPES].join(', ')}`);
    const rawSize = readVmDetail(payload, 'disk_size_gb') ?? String(PROXMOX_DEFAULTS.diskSizeGb);
    if (!/^[1-9]\d{0,5}$/.test(rawSize)) throw new ExtensionError(`Invalid disk_size_gb '${rawSize}': expected a whole number of GiB`);
    source = { kind: 'iso', isoPath, osType, diskSizeGb: Number(rawSize), storage };
  } else {
    const rawTemplate = readVmDetail(payload, 'template_id');
    if (rawTemplate === undefined) throw missing(['template_id']);
    if (!/^[1-9]\d{2,8}$/.test(rawTemplate)) throw new ExtensionError(`Invalid template_id '${rawTemplate}': expected a Proxmox VMID`);
    const fullClone = parseBooleanDetail(readVmDetail(payload, 'is_full_clone'), PROXMOX_DEFAULTS.isFullClone);
    source = { kind: 'template', templateVmid: Number(rawTemplate), fullClone, storage };
  }
  return { source, cpus, memoryMiB, ...(bridge !== undefined ? { bridge } : {}), nics };
}

export interface SnapshotRequest {
  readonly name: string;
  readonly description?: string;
  readonly saveMemory: boolean;
}

export function readSnapshotRequest(payload: Payload): SnapshotRequest {
  const parameters = payload.parameters ?? {};
  const rawName = parameters['snap_name'];
  const name = typeof rawName === 'string' || typeof rawName === 'number' ? String(rawName).trim() : '';
  if (name === '') throw missing(['snap_name']);
  if (!SNAPSHOT_NAME.test(name)) {
    throw new ExtensionError(`Invalid Snapshot name '${name}'. Only alphanumeric characters and dashes (-) are allowed.`);
  }
  const rawDescription = parameters['snap_description'];
  const description = typeof rawDescription === 'string' && rawDescription.trim() !== '' ? rawDescription : undefined;
  const rawMemory = parameters['snap_save_memory'];
  const saveMemory = typeof rawMemory === 'boolean' ? rawMemory : parseBooleanDetail(rawMemory === undefined ? undefined : String(rawMemory), false);
  return { name, saveMemory, ...(description !== undefined ? { description } : {}) };
}
