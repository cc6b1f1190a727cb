/**
 * Reads and validates what the Hyper-V extension takes from the payload. Every value that will reach
 * PowerShell is checked here (names, paths, MACs, VLANs, sizes) before any remote call, so bad input fails
 * with a clear message and nothing on the host changes.
 */
import { parseEndpoint } from '../../clients/http/base-url.ts';
import { parseBooleanDetail, readDetail, readVmDetail } from '../../contract/details.ts';
import { ExtensionError } from '../../contract/extension.ts';
import type { Payload } from '../../contract/payload.ts';
import { hasControlCharacters } from './powershell-literal.ts';

export const HYPERV_DEFAULTS = {
  /** WinRM over HTTPS. */
  port: 5986,
  path: '/wsman',
  generation: 1 as 1 | 2,
  /** Hyper-V wants startup memory in multiples of 2 MiB and at least 32 MiB. */
  memoryAlignmentBytes: 2 * 1024 * 1024,
  minimumMemoryBytes: 32 * 1024 * 1024,
  /** Hyper-V limits: VM and checkpoint names to 100 characters, 8 synthetic network adapters. */
  maxNameLength: 100,
  maxNics: 8,
} as const;

export interface ConnectionConfig {
  url: URL;
  username: string;
  password: string;
  verifyTls: boolean;
}

export interface NicConfig {
  /** Adapter name on the VM: NIC1, NIC2, … (as the reference names them). */
  name: string;
  /** 12 upper-case hex digits, the form Hyper-V stores. */
  mac: string;
  /** Access VLAN, or undefined for an untagged network. */
  vlan: number | undefined;
}

export interface CreateConfig {
  generation: 1 | 2;
  memoryBytes: number;
  cpus: number;
  switchName: string;
  vhdDirectory: string;
  vmDirectory: string;
  vhdPath: string;
  source: { kind: 'template'; templatePath: string } | { kind: 'iso'; isoPath: string; diskBytes: number };
  nics: NicConfig[];
}

function missing(key: string, quoted = true): ExtensionError {
  return new ExtensionError(`Missing required field in JSON: ${quoted ? `'${key}'` : key}`);
}

export function readConnection(payload: Payload): ConnectionConfig {
  const rawUrl = readDetail(payload, 'url', ['host', 'extension']);
  if (!rawUrl) throw missing('url');
  const username = readDetail(payload, 'username', ['host', 'extension']);
  if (!username) throw missing('username');
  const password = payload.externaldetails?.host?.password ?? payload.externaldetails?.extension?.password;
  if (!password) throw missing('password');
  let url: URL;
  try {
    url = parseEndpoint(rawUrl, { scheme: 'https', port: HYPERV_DEFAULTS.port });
  } catch (error) {
    throw new ExtensionError(`Invalid Hyper-V host url: ${(error as Error).message}`);
  }
  if (url.protocol !== 'https:') throw new ExtensionError('Invalid Hyper-V host url: WinRM must be reached over https');
  if (url.pathname === '' || url.pathname === '/') url.pathname = HYPERV_DEFAULTS.path;
  return { url, username, password, verifyTls: parseBooleanDetail(readDetail(payload, 'verify_tls_certificate', ['host', 'extension']), true) };
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** CloudStack internal names: `i-2-45-VM`, `r-7-VM`, `s-1-VM`, or custom instance names of letters, digits, `-`, `_`, `.`. */
const INTERNAL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** The Hyper-V VM name: `<internal name>-<VM UUID>` (what the documentation describes). */
export function readVmName(payload: Payload): { vmName: string; internalName: string; uuid: string } {
  const internalName = payload['cloudstack.vm.details']?.name ?? payload.virtualmachinename;
  if (!internalName) throw missing('name');
  const uuid = payload.virtualmachineid ?? payload['cloudstack.vm.details']?.uuid;
  if (!uuid) throw missing('virtualmachineid');
  if (!INTERNAL_NAME_PATTERN.test(internalName)) throw new ExtensionError(`Invalid instance name '${printable(internalName)}'`);
  if (!UUID_PATTERN.test(uuid)) throw new ExtensionError(`Invalid instance UUID '${printable(uuid)}'`);
  return { vmName: `${internalName}-${uuid.toLowerCase()}`, internalName, uuid: uuid.toLowerCase() };
}

/** Maps a Hyper-V VM name back to the CloudStack internal name (for `statuses`). */
export function internalNameOf(vmName: string): string {
  const match = /^(.+)-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(vmName);
  return match ? match[1]! : vmName;
}

/** Shows a hostile value in a message without its control characters. */
function printable(value: string): string {
  return [...value].map((ch) => (hasControlCharacters(ch) ? '?' : ch)).join('').slice(0, 120);
}

/** Absolute Windows path (drive or UNC) without characters PowerShell or Windows would treat specially. */
export function validateWindowsPath(value: string, what: string): string {
  const path = value.trim().replace(/\//g, '\\');
  const absolute = /^[A-Za-z]:\\/.test(path) || /^\\\\[^\\]+\\[^\\]+/.test(path);
  if (!absolute || hasControlCharacters(path) || /[*?"<>|[\]`$]/.test(path.slice(2)) || path.length > 240 || /(^|\\)\.\.(\\|$)/.test(path)) {
    throw new ExtensionError(`Invalid ${what} '${printable(value)}': expected an absolute Windows path without wildcard or special characters`);
  }
  return path.replace(/\\+$/, '');
}

export function validateSwitchName(value: string): string {
  const name = value.trim();
  // Wildcard characters would make Get-VMSwitch -Name match other switches.
  if (name === '' || name.length > HYPERV_DEFAULTS.maxNameLength || hasControlCharacters(name) || /[*?[\]]/.test(name)) throw new ExtensionError(`Invalid network switch name '${printable(value)}'`);
  return name;
}

/** Snapshot names: the rule the Proxmox extension uses (letters, digits, dashes), within Hyper-V's length limit. */
export function readSnapshotName(payload: Payload): string {
  const parameters = payload.parameters;
  if (!parameters || Object.keys(parameters).length === 0) throw new ExtensionError("'snapshot_name'");
  const raw = parameters.snapshot_name;
  const name = typeof raw === 'string' ? raw.trim() : typeof raw === 'number' ? String(raw) : '';
  if (name === '') throw new ExtensionError('Missing required field in JSON: snapshot_name');
  if (!/^[A-Za-z0-9-]+$/.test(name) || name.length > HYPERV_DEFAULTS.maxNameLength) {
    throw new ExtensionError(`Invalid Snapshot name '${printable(name)}'. Only alphanumeric characters and dashes (-) are allowed.`);
  }
  return name;
}

function parseMac(raw: string | undefined, index: number): string {
  const text = (raw ?? '').trim();
  if (!/^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i.test(text) && !/^[0-9a-f]{12}$/i.test(text)) {
    throw new ExtensionError(`Invalid MAC address '${printable(text)}' for NIC ${index + 1}`);
  }
  return text.replace(/[:-]/g, '').toUpperCase();
}

function parseVlan(uri: string | undefined, index: number): number | undefined {
  if (uri === undefined || uri.trim() === '' || /^vlan:\/\/untagged$/i.test(uri.trim())) return undefined;
  const match = /^vlan:\/\/(\d{1,4})$/i.exec(uri.trim());
  const vlan = match ? Number(match[1]) : NaN;
  if (!(vlan >= 1 && vlan <= 4094)) throw new ExtensionError(`Unsupported broadcast URI '${printable(uri)}' for NIC ${index + 1}: expected vlan://<1-4094> or an untagged network`);
  return vlan;
}

/** Rounds memory up to what Hyper-V accepts: a multiple of 2 MiB, at least 32 MiB. */
export function alignMemory(bytes: number): number {
  const alignment = HYPERV_DEFAULTS.memoryAlignmentBytes;
  return Math.max(HYPERV_DEFAULTS.minimumMemoryBytes, Math.ceil(bytes / alignment) * alignment);
}

export function readCreateConfig(payload: Payload, vmName: string): CreateConfig {
  const vm = payload['cloudstack.vm.details'];
  if (!vm) throw missing('cloudstack.vm.details');
  if (vm.cpus === undefined) throw missing('cpus');
  if (vm.minRam === undefined) throw missing('minRam');
  if (!Number.isInteger(vm.cpus) || vm.cpus < 1) throw new ExtensionError(`Invalid CPU count '${vm.cpus}'`);
  if (!(vm.minRam > 0)) throw new ExtensionError(`Invalid memory size '${vm.minRam}'`);
  const switchRaw = readDetail(payload, 'network_bridge', ['host', 'extension']) ?? readDetail(payload, 'network_switch', ['host', 'extension']);
  if (!switchRaw) throw missing('network_bridge');
  const vhdRaw = readDetail(payload, 'vhd_path', ['host', 'extension']);
  if (!vhdRaw) throw missing('vhd_path');
  const vmRaw = readDetail(payload, 'vm_path', ['host', 'extension']);
  if (!vmRaw) throw missing('vm_path');
  const generationRaw = readVmDetail(payload, 'generation') ?? String(HYPERV_DEFAULTS.generation);
  if (generationRaw !== '1' && generationRaw !== '2') throw new ExtensionError(`Invalid generation '${printable(generationRaw)}': expected 1 or 2`);
  const vhdDirectory = validateWindowsPath(vhdRaw, 'vhd_path');
  const templateType = (readVmDetail(payload, 'template_type') ?? '').toLowerCase();
  let source: CreateConfig['source'];
  if (templateType === 'iso') {
    const iso = readVmDetail(payload, 'iso_path');
    if (!iso) throw missing('iso_path', false);
    const sizeRaw = readVmDetail(payload, 'vhd_size_gb');
    if (!sizeRaw) throw missing('vhd_size_gb', false);
    const sizeGb = Number(sizeRaw);
    if (!Number.isInteger(sizeGb) || sizeGb < 1 || sizeGb > 65536) throw new ExtensionError(`Invalid vhd_size_gb '${printable(sizeRaw)}': expected a whole number of GB between 1 and 65536`);
    source = { kind: 'iso', isoPath: validateWindowsPath(iso, 'iso_path'), diskBytes: sizeGb * 1024 ** 3 };
  } else {
    const template = readVmDetail(payload, 'template_path');
    if (!template) throw missing('template_path', false);
    source = { kind: 'template', templatePath: validateWindowsPath(template, 'template_path') };
  }
  const nics = (vm.nics ?? []).map((nic, index) => ({ name: `NIC${index + 1}`, mac: parseMac(nic.mac, index), vlan: parseVlan(nic.broadcastUri, index) }));
  if (nics.length > HYPERV_DEFAULTS.maxNics) throw new ExtensionError(`Hyper-V supports at most ${HYPERV_DEFAULTS.maxNics} network adapters per VM (got ${nics.length})`);
  return {
    generation: Number(generationRaw) as 1 | 2,
    memoryBytes: alignMemory(vm.minRam),
    cpus: vm.cpus,
    switchName: validateSwitchName(switchRaw),
    vhdDirectory,
    vmDirectory: validateWindowsPath(vmRaw, 'vm_path'),
    vhdPath: `${vhdDirectory}\\${vmName}.vhdx`,
    source,
    nics,
  };
}
