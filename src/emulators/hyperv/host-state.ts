import { randomUUID } from 'node:crypto';

/**
 * The in-memory Hyper-V host the emulator's PowerShell cmdlets act on. Everything here is plain JSON data so
 * that the control API can dump it (`GET /_emulator/state`) and `--state FILE` can persist and reload it.
 */

export type VmStateName = 'Off' | 'Running' | 'Paused' | 'Saved';

export interface NetworkAdapterState {
  id: string;
  name: string;
  switchName: string | null;
  /** 12 upper-case hex digits, no separators (as Hyper-V reports it); all zero until a dynamic MAC is assigned. */
  macAddress: string;
  dynamicMacAddressEnabled: boolean;
  vlanMode: 'Untagged' | 'Access';
  accessVlanId: number;
}

export interface DriveState {
  controllerType: 'IDE' | 'SCSI';
  controllerNumber: number;
  controllerLocation: number;
  path: string | null;
}

/** What a checkpoint captures and restores. */
export interface VmConfiguration {
  memoryStartupBytes: number;
  processorCount: number;
  secureBoot: boolean;
  notes: string;
  networkAdapters: NetworkAdapterState[];
  dvdDrives: DriveState[];
  hardDrives: DriveState[];
}

export interface CheckpointState {
  id: string;
  name: string;
  /** ISO-8601 UTC. */
  creationTime: string;
  parentCheckpointId: string | null;
  configuration: VmConfiguration;
}

export interface VmState extends VmConfiguration {
  id: string;
  name: string;
  state: VmStateName;
  generation: 1 | 2;
  /** Folder holding the VM's configuration (`<New-VM -Path>\<name>`). */
  path: string;
  /** ISO-8601 UTC time the VM last started; null while not running. */
  startedAt: string | null;
  createdAt: string;
  checkpoints: CheckpointState[];
  /** The checkpoint the VM's current state derives from (Hyper-V's ParentCheckpoint). */
  parentCheckpointId: string | null;
}

export interface FileEntry {
  /** The path as it was created (display form). */
  path: string;
  sizeBytes: number;
  createdAt: string;
}

export interface SwitchState {
  id: string;
  name: string;
  switchType: 'External' | 'Internal' | 'Private';
}

export interface HyperVHostOptions {
  /** Name of the External switch the host starts with. */
  switchName?: string;
  vhdPath?: string;
  vmPath?: string;
  /** A template `.vhdx` present in the file system at start. */
  templatePath?: string;
  /** An installation ISO present in the file system at start. */
  isoPath?: string;
  computerName?: string;
  /** Logical processors of the host: the upper bound for `Set-VMProcessor -Count`. */
  logicalProcessorCount?: number;
}

export interface HyperVHost {
  computerName: string;
  logicalProcessorCount: number;
  defaults: { vhdPath: string; vmPath: string; switchName: string; templatePath: string; isoPath: string };
  switches: SwitchState[];
  /** Directories, keyed by normalised (lower-case) path. */
  directories: Record<string, string>;
  /** Files, keyed by normalised (lower-case) path. */
  files: Record<string, FileEntry>;
  vms: VmState[];
  /** Names of the commands each script ran, newest last (bounded), so tests can prove what executed. */
  commandLog: string[];
}

export const HOST_DEFAULTS = {
  switchName: 'ExternalSwitch',
  vhdPath: 'C:\\ProgramData\\Microsoft\\Windows\\Virtual Hard Disks',
  vmPath: 'C:\\ProgramData\\Microsoft\\Windows\\Hyper-V',
  templatePath: 'C:\\Templates\\ubuntu-24.04.vhdx',
  isoPath: 'C:\\ISO\\ubuntu-24.04-live-server-amd64.iso',
  computerName: 'HV-EMULATOR',
  logicalProcessorCount: 16,
} as const;

/** Bound on the command log so a long-running emulator does not grow without limit. */
export const COMMAND_LOG_LIMIT = 5000;

const TEMPLATE_SIZE_BYTES = 4 * 1024 ** 3;
const ISO_SIZE_BYTES = 2_800_000_000;

/** Windows paths compare case-insensitively and accept `/` as a separator. */
export function normalisePath(path: string): string {
  let result = path.trim().replace(/\//g, '\\');
  const unc = result.startsWith('\\\\');
  result = result.replace(/\\{2,}/g, '\\');
  if (unc) result = `\\${result}`;
  if (result.length > 3 && result.endsWith('\\')) result = result.slice(0, -1);
  return result;
}

export function pathKey(path: string): string {
  return normalisePath(path).toLowerCase();
}

export function parentDirectory(path: string): string | null {
  const normalised = normalisePath(path);
  const index = normalised.lastIndexOf('\\');
  if (index < 0) return null;
  if (index === 2 && normalised[1] === ':') return normalised.slice(0, 3);
  return normalised.slice(0, index);
}

/** Creates the directory and all its ancestors. */
export function ensureDirectory(host: HyperVHost, path: string): void {
  let current: string | null = normalisePath(path);
  while (current !== null && !(pathKey(current) in host.directories)) {
    host.directories[pathKey(current)] = current;
    const parent = parentDirectory(current);
    current = parent === current ? null : parent;
  }
}

export function addFile(host: HyperVHost, path: string, sizeBytes: number): FileEntry {
  const entry: FileEntry = { path: normalisePath(path), sizeBytes, createdAt: new Date().toISOString() };
  host.files[pathKey(path)] = entry;
  return entry;
}

export function createHyperVHost(options: HyperVHostOptions = {}): HyperVHost {
  const defaults = {
    vhdPath: normalisePath(options.vhdPath ?? HOST_DEFAULTS.vhdPath),
    vmPath: normalisePath(options.vmPath ?? HOST_DEFAULTS.vmPath),
    switchName: options.switchName ?? HOST_DEFAULTS.switchName,
    templatePath: normalisePath(options.templatePath ?? HOST_DEFAULTS.templatePath),
    isoPath: normalisePath(options.isoPath ?? HOST_DEFAULTS.isoPath),
  };
  const host: HyperVHost = {
    computerName: options.computerName ?? HOST_DEFAULTS.computerName,
    logicalProcessorCount: options.logicalProcessorCount ?? HOST_DEFAULTS.logicalProcessorCount,
    defaults,
    switches: [{ id: randomUUID(), name: defaults.switchName, switchType: 'External' }],
    directories: {},
    files: {},
    vms: [],
    commandLog: [],
  };
  for (const directory of ['C:\\Windows', 'C:\\Users', defaults.vhdPath, defaults.vmPath]) ensureDirectory(host, directory);
  for (const [file, size] of [[defaults.templatePath, TEMPLATE_SIZE_BYTES], [defaults.isoPath, ISO_SIZE_BYTES]] as const) {
    const parent = parentDirectory(file);
    if (parent) ensureDirectory(host, parent);
    addFile(host, file, size);
  }
  return host;
}

export function snapshotHyperVHost(host: HyperVHost): unknown {
  return structuredClone(host);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Rebuilds a host from `snapshotHyperVHost` output, checking the shape enough to fail clearly on a wrong file. */
export function restoreHyperVHost(data: unknown): HyperVHost {
  if (!isRecord(data) || !Array.isArray(data.vms) || !Array.isArray(data.switches) || !isRecord(data.files) || !isRecord(data.directories) || !isRecord(data.defaults)) {
    throw new Error('Not a Hyper-V emulator state document');
  }
  const host = structuredClone(data) as unknown as HyperVHost;
  host.commandLog = Array.isArray(host.commandLog) ? host.commandLog : [];
  host.computerName = typeof host.computerName === 'string' ? host.computerName : HOST_DEFAULTS.computerName;
  host.logicalProcessorCount = typeof host.logicalProcessorCount === 'number' ? host.logicalProcessorCount : HOST_DEFAULTS.logicalProcessorCount;
  return host;
}

/** The disks (VHD paths) attached to a VM, current configuration and checkpoints. */
export function attachedPaths(vm: VmState): string[] {
  return [...vm.hardDrives, ...vm.dvdDrives].map((drive) => drive.path).filter((path): path is string => path !== null);
}

/** A file is locked while a VM that uses it is not Off (Hyper-V holds the VHD/ISO open). */
export function fileInUse(host: HyperVHost, path: string): VmState | undefined {
  const key = pathKey(path);
  return host.vms.find((vm) => vm.state !== 'Off' && attachedPaths(vm).some((attached) => pathKey(attached) === key));
}

export function recordCommand(host: HyperVHost, name: string): void {
  host.commandLog.push(name);
  if (host.commandLog.length > COMMAND_LOG_LIMIT) host.commandLog.splice(0, host.commandLog.length - COMMAND_LOG_LIMIT);
}
