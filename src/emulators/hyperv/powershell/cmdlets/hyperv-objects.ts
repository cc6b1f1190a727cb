/** PowerShell views of the host state, shaped like the Hyper-V module's objects, plus shared lookups. */
import { randomBytes } from 'node:crypto';
import type { CheckpointState, DriveState, HyperVHost, NetworkAdapterState, SwitchState, VmState } from '../../host-state.ts';
import type { CmdletCall } from '../cmdlet-types.ts';
import { cmdletClass } from '../errors.ts';
import { hasWildcards, wildcardToRegExp } from '../operations.ts';
import { PsDateTime, PsObject, enumValue, toPsString } from '../values.ts';
import type { PsValue, TableColumn } from '../values.ts';

export const VIRTUALIZATION_EXCEPTION = 'Microsoft.HyperV.PowerShell.VirtualizationException';

export function formatUptime(vm: VmState): string {
  if (!vm.startedAt) return '00:00:00';
  const seconds = Math.max(0, Math.floor((Date.now() - Date.parse(vm.startedAt)) / 1000));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(seconds / 3600) % 24)}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
}

function withView(object: PsObject, view: readonly TableColumn[]): PsObject {
  object.tableView = view;
  return object;
}

const megabytes = (value: PsValue) => String(Math.round(Number(value ?? 0) / (1024 * 1024)));

/** The Hyper-V module's default table views (its format.ps1xml). */
const VM_VIEW: readonly TableColumn[] = [
  { label: 'Name', property: 'Name' },
  { label: 'State', property: 'State' },
  { label: 'CPUUsage(%)', property: 'CPUUsage' },
  { label: 'MemoryAssigned(M)', property: 'MemoryAssigned', format: megabytes },
  { label: 'Uptime', property: 'Uptime' },
  { label: 'Status', property: 'Status' },
  { label: 'Version', property: 'Version' },
];
const SNAPSHOT_VIEW: readonly TableColumn[] = [
  { label: 'VMName', property: 'VMName' },
  { label: 'Name', property: 'Name' },
  { label: 'SnapshotType', property: 'SnapshotType' },
  { label: 'CreationTime', property: 'CreationTime' },
  { label: 'ParentSnapshotName', property: 'ParentSnapshotName' },
];
const SWITCH_VIEW: readonly TableColumn[] = [
  { label: 'Name', property: 'Name' },
  { label: 'SwitchType', property: 'SwitchType' },
  { label: 'NetAdapterInterfaceDescription', property: 'NetAdapterInterfaceDescription' },
];
const ADAPTER_VIEW: readonly TableColumn[] = [
  { label: 'Name', property: 'Name' },
  { label: 'IsManagementOs', property: 'IsManagementOs' },
  { label: 'VMName', property: 'VMName' },
  { label: 'SwitchName', property: 'SwitchName' },
  { label: 'MacAddress', property: 'MacAddress' },
  { label: 'Status', property: 'Status', format: (value) => `{${Array.isArray(value) ? value.map((item) => toPsString(item)).join(', ') : toPsString(value)}}` },
  { label: 'IPAddresses', property: 'IPAddresses', format: (value) => `{${Array.isArray(value) ? value.map((item) => toPsString(item)).join(', ') : toPsString(value)}}` },
];

export function adapterObject(vm: VmState, adapter: NetworkAdapterState): PsObject {
  const vlan = new PsObject(['Microsoft.HyperV.PowerShell.VMNetworkAdapterVlanSetting'], [
    ['OperationMode', enumValue('VlanMode', adapter.vlanMode)],
    ['AccessVlanId', adapter.accessVlanId],
    ['ParentAdapter', adapter.name],
  ], undefined, adapter.vlanMode === 'Access' ? `Access ${adapter.accessVlanId}` : 'Untagged');
  return withView(new PsObject(['Microsoft.HyperV.PowerShell.VMNetworkAdapter'], [
    ['Name', adapter.name],
    ['IsManagementOs', false],
    ['Id', `Microsoft:${vm.id.toUpperCase()}\\${adapter.id.toUpperCase()}`],
    ['VMName', vm.name],
    ['VMId', vm.id],
    ['SwitchName', adapter.switchName],
    ['MacAddress', adapter.macAddress],
    ['DynamicMacAddressEnabled', adapter.dynamicMacAddressEnabled],
    ['IsLegacy', false],
    ['Connected', adapter.switchName !== null],
    ['Status', vm.state === 'Running' ? ['Ok'] : []],
    ['IPAddresses', []],
    ['VlanSetting', vlan],
  ], { kind: 'adapter', vmId: vm.id, adapterId: adapter.id }, `VMNetworkAdapter (Name = '${adapter.name}', VMName = '${vm.name}') [VMId = '${vm.id}']`), ADAPTER_VIEW);
}

export function driveObject(vm: VmState, drive: DriveState, kind: 'DvdDrive' | 'HardDiskDrive'): PsObject {
  const name = kind === 'DvdDrive' ? 'DVD Drive' : 'Hard Drive';
  return new PsObject([`Microsoft.HyperV.PowerShell.${kind}`], [
    ['Name', `${name} on ${drive.controllerType} controller number ${drive.controllerNumber} at location ${drive.controllerLocation}`],
    ['VMName', vm.name],
    ['VMId', vm.id],
    ['ControllerType', enumValue('ControllerType', drive.controllerType)],
    ['ControllerNumber', drive.controllerNumber],
    ['ControllerLocation', drive.controllerLocation],
    ['Path', drive.path],
    ...(kind === 'DvdDrive' ? ([['DvdMediaType', drive.path ? 'ISO' : 'None']] as const) : []),
  ]);
}

export function vmObject(vm: VmState): PsObject {
  return withView(new PsObject(['Microsoft.HyperV.PowerShell.VirtualMachine'], [
    ['Name', vm.name],
    ['State', enumValue('VMState', vm.state)],
    ['CPUUsage', 0],
    ['MemoryAssigned', vm.state === 'Running' || vm.state === 'Paused' ? vm.memoryStartupBytes : 0],
    ['Uptime', formatUptime(vm)],
    ['Status', 'Operating normally'],
    ['Version', '9.0'],
    ['Id', vm.id],
    ['VMId', vm.id],
    ['VMName', vm.name],
    ['Generation', vm.generation],
    ['ProcessorCount', vm.processorCount],
    ['MemoryStartup', vm.memoryStartupBytes],
    ['DynamicMemoryEnabled', false],
    ['Path', vm.path],
    ['ConfigurationLocation', vm.path],
    ['CheckpointFileLocation', vm.path],
    ['Notes', vm.notes],
    ['ParentCheckpointId', vm.parentCheckpointId],
    ['ParentCheckpointName', vm.checkpoints.find((checkpoint) => checkpoint.id === vm.parentCheckpointId)?.name ?? null],
    ['NetworkAdapters', vm.networkAdapters.map((adapter) => adapterObject(vm, adapter))],
    ['DVDDrives', vm.dvdDrives.map((drive) => driveObject(vm, drive, 'DvdDrive'))],
    ['HardDrives', vm.hardDrives.map((drive) => driveObject(vm, drive, 'HardDiskDrive'))],
  ], { kind: 'vm', vmId: vm.id }, `VirtualMachine (Name = '${vm.name}') [Id = '${vm.id}']`), VM_VIEW);
}

export function snapshotObject(vm: VmState, checkpoint: CheckpointState): PsObject {
  const parent = vm.checkpoints.find((candidate) => candidate.id === checkpoint.parentCheckpointId);
  return withView(new PsObject(['Microsoft.HyperV.PowerShell.VMSnapshot'], [
    ['VMName', vm.name],
    ['Name', checkpoint.name],
    ['SnapshotType', enumValue('SnapshotType', 'Standard')],
    ['CreationTime', new PsDateTime(new Date(checkpoint.creationTime))],
    ['ParentSnapshotName', parent?.name ?? null],
    ['ParentSnapshotId', parent?.id ?? null],
    ['Id', checkpoint.id],
    ['VMId', vm.id],
    ['ProcessorCount', checkpoint.configuration.processorCount],
    ['MemoryStartup', checkpoint.configuration.memoryStartupBytes],
    ['Path', vm.path],
    ['Notes', checkpoint.configuration.notes],
  ], { kind: 'snapshot', vmId: vm.id, checkpointId: checkpoint.id }, `VMSnapshot (Name = '${checkpoint.name}', VMName = '${vm.name}') [Id = '${checkpoint.id}']`), SNAPSHOT_VIEW);
}

export function switchObject(entry: SwitchState): PsObject {
  return withView(new PsObject(['Microsoft.HyperV.PowerShell.VMSwitch'], [
    ['Name', entry.name],
    ['SwitchType', enumValue('SwitchType', entry.switchType)],
    ['NetAdapterInterfaceDescription', entry.switchType === 'External' ? 'Intel(R) Ethernet Server Adapter I350-T2' : ''],
    ['Id', entry.id],
    ['AllowManagementOS', entry.switchType !== 'Private'],
  ], { kind: 'switch', switchId: entry.id }, `VMSwitch (Name = '${entry.name}') [Id = '${entry.id}']`), SWITCH_VIEW);
}

export function vmNotFound(call: CmdletCall, name: string): void {
  call.writeError({
    message: `Hyper-V was unable to find a virtual machine with name "${name}".`,
    fullyQualifiedErrorId: `InvalidParameter,${cmdletClass(call.name)}`,
    category: 'InvalidArgument',
    targetObject: name,
    exceptionType: VIRTUALIZATION_EXCEPTION,
  });
}

/** Hyper-V's answer to a state change the VM's current state does not allow (start a running VM, …). */
export function invalidState(call: CmdletCall, vm: VmState, detail?: string): void {
  call.writeError({
    message: `The operation cannot be performed while the virtual machine is in its current state.${detail ? `\n${detail}` : ''}`,
    fullyQualifiedErrorId: `InvalidState,${cmdletClass(call.name)}`,
    category: 'InvalidOperation',
    targetObject: vm.name,
    exceptionType: VIRTUALIZATION_EXCEPTION,
  });
}

export function deviceError(call: CmdletCall, vm: VmState, device: string, detail: string, id = 'InvalidParameter', category = 'InvalidArgument'): void {
  call.writeError({
    message: `'${vm.name}' failed to modify device '${device}'. (Virtual machine ID ${vm.id.toUpperCase()})\n${detail}`,
    fullyQualifiedErrorId: `${id},${cmdletClass(call.name)}`,
    category,
    targetObject: vm.name,
    exceptionType: VIRTUALIZATION_EXCEPTION,
  });
}

function matchName(pattern: string, name: string): boolean {
  return hasWildcards(pattern) ? wildcardToRegExp(pattern).test(name) : pattern.toLowerCase() === name.toLowerCase();
}

/** The VMs named by -Name/-VMName (wildcards allowed) or given as -VM objects / pipeline input. */
export function targetVms(call: CmdletCall, nameParameter: 'Name' | 'VMName', options: { allWhenUnnamed?: boolean } = {}): VmState[] {
  const objects: PsValue[] | undefined = call.params.has('VM')
    ? [call.params.get('VM') ?? null].flat()
    : call.hasPipelineInput && !call.params.has(nameParameter)
      ? [...call.input]
      : undefined;
  if (objects !== undefined) {
    const result: VmState[] = [];
    for (const object of objects) {
      if (!(object instanceof PsObject) || object.native === undefined || !('vmId' in object.native)) {
        call.terminate({
          message: `Cannot bind parameter 'VM'. Cannot convert the "${object === null ? '' : String(object instanceof PsObject ? object.toDisplayString() : object)}" value of type "${object instanceof PsObject ? object.typeNames[0] : 'System.String'}" to type "Microsoft.HyperV.PowerShell.VirtualMachine".`,
          fullyQualifiedErrorId: `CannotConvertArgumentNoMessage,${cmdletClass(call.name)}`,
          category: 'InvalidArgument',
          exceptionType: 'System.Management.Automation.ParameterBindingException',
        });
      }
      const native = object.native as { vmId: string };
      const vm = call.host.vms.find((candidate) => candidate.id === native.vmId);
      if (!vm) {
        call.writeError({ message: 'The operation failed because the object was not found.', fullyQualifiedErrorId: `ObjectNotFound,${cmdletClass(call.name)}`, category: 'ObjectNotFound', exceptionType: VIRTUALIZATION_EXCEPTION });
        continue;
      }
      if (!result.includes(vm)) result.push(vm);
    }
    return result;
  }
  const names = call.params.strings(nameParameter);
  if (names === undefined) return options.allWhenUnnamed ? [...call.host.vms] : [];
  const result: VmState[] = [];
  for (const name of names) {
    const matches = call.host.vms.filter((vm) => matchName(name, vm.name));
    if (matches.length === 0 && !hasWildcards(name)) vmNotFound(call, name);
    for (const vm of matches) if (!result.includes(vm)) result.push(vm);
  }
  return result;
}

export function findSwitch(host: HyperVHost, name: string): SwitchState | undefined {
  return host.switches.find((entry) => entry.name.toLowerCase() === name.toLowerCase());
}

export function switchNotFound(call: CmdletCall, name: string): void {
  call.writeError({
    message: `Hyper-V was unable to find a virtual switch with name "${name}".`,
    fullyQualifiedErrorId: `InvalidParameter,${cmdletClass(call.name)}`,
    category: 'InvalidArgument',
    targetObject: name,
    exceptionType: VIRTUALIZATION_EXCEPTION,
  });
}

/** A Hyper-V dynamic MAC from the Microsoft range 00-15-5D. */
export function dynamicMac(): string {
  return `00155D${randomBytes(3).toString('hex').toUpperCase()}`;
}

/** Parses a static MAC: 12 hex digits, optionally separated by '-' or ':'; unicast and non-zero. */
export function parseMacAddress(text: string): string | undefined {
  const trimmed = text.trim();
  if (!/^[0-9a-f]{12}$/i.test(trimmed) && !/^[0-9a-f]{2}([-:])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i.test(trimmed)) return undefined;
  const mac = trimmed.replace(/[-:]/g, '').toUpperCase();
  if (/^0+$/.test(mac) || (Number.parseInt(mac.slice(0, 2), 16) & 1) === 1) return undefined;
  return mac;
}

export function isTwoMegabyteMultiple(bytes: number): boolean {
  return Number.isInteger(bytes) && bytes % (2 * 1024 * 1024) === 0;
}
