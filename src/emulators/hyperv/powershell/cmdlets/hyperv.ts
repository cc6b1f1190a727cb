/**
 * The Hyper-V module cmdlets over the in-memory host, with their documented parameter sets, state rules
 * (a running VM cannot be started again, a gen-1 VM has no firmware settings, memory is a multiple of 2 MB)
 * and error records. Every cmdlet applies its change only after all of its checks passed.
 */
import { randomUUID } from 'node:crypto';
import { addFile, ensureDirectory, fileInUse, normalisePath, parentDirectory, pathKey } from '../../host-state.ts';
import type { DriveState, NetworkAdapterState, VmConfiguration, VmState } from '../../host-state.ts';
import type { CmdletCall, CmdletDefinition, ParameterDefinition } from '../cmdlet-types.ts';
import { cmdletClass } from '../errors.ts';
import { hasWildcards, wildcardToRegExp } from '../operations.ts';
import { PsObject, enumValue } from '../values.ts';
import {
  VIRTUALIZATION_EXCEPTION, adapterObject, deviceError, driveObject, dynamicMac, findSwitch, invalidState, isTwoMegabyteMultiple, parseMacAddress, snapshotObject,
  switchNotFound, switchObject, targetVms, vmNotFound, vmObject,
} from './hyperv-objects.ts';

const MB = 1024 * 1024;
const MIN_MEMORY_BYTES = 32 * MB;
const MAX_MEMORY_BYTES = 12 * 1024 * 1024 * MB;
const MAX_VM_NAME_LENGTH = 100;
const MAX_ADAPTERS = 8;
const MAX_CHECKPOINTS = 50;
const MIN_VHD_BYTES = 3 * MB;
const MAX_VHD_BYTES = 64 * 1024 ** 4;
const DEFAULT_MEMORY_BYTES = 512 * MB;

/** -Name (alias VMName) or a -VM object, as Start-VM, Stop-VM, Get-VM… take them. */
function byNameOrVm(nameMandatory = true): ParameterDefinition[] {
  return [
    { name: 'Name', type: 'strings', position: 0, mandatory: nameMandatory ? ['Name'] : false, sets: ['Name'], aliases: ['VMName'] },
    { name: 'VM', type: 'any', position: 0, mandatory: ['VMObject'], sets: ['VMObject'], fromPipeline: true },
    { name: 'ComputerName', type: 'strings', sets: ['Name'] },
    { name: 'Passthru', type: 'switch' },
    { name: 'AsJob', type: 'switch' },
  ];
}

/** -VMName or a -VM object, as Set-VMProcessor, Add-VMNetworkAdapter… take them. */
function byVmName(nameMandatory = true): ParameterDefinition[] {
  return [
    { name: 'VMName', type: 'strings', position: 0, mandatory: nameMandatory ? ['VMName'] : false, sets: ['VMName'] },
    { name: 'VM', type: 'any', position: 0, mandatory: ['VMObject'], sets: ['VMObject'], fromPipeline: true },
    { name: 'ComputerName', type: 'strings', sets: ['VMName'] },
    { name: 'Passthru', type: 'switch' },
  ];
}

function failure(call: CmdletCall, message: string, id: string, category: string, target?: string): void {
  call.writeError({ message, fullyQualifiedErrorId: `${id},${cmdletClass(call.name)}`, category, ...(target !== undefined ? { targetObject: target } : {}), exceptionType: VIRTUALIZATION_EXCEPTION });
}

function passThru(call: CmdletCall, vm: VmState): void {
  if (call.params.switch('Passthru')) call.write(vmObject(vm));
}

function startVm(call: CmdletCall, vm: VmState): boolean {
  if (vm.state === 'Running' || vm.state === 'Paused') {
    invalidState(call, vm);
    return false;
  }
  const missing = [...vm.hardDrives, ...vm.dvdDrives].find((drive) => drive.path !== null && !(pathKey(drive.path) in call.host.files));
  if (missing) {
    call.writeError({
      message: `'${vm.name}' failed to start.\nThe system cannot find the file specified. ('${missing.path}')`,
      fullyQualifiedErrorId: `ObjectNotFound,${cmdletClass(call.name)}`,
      category: 'ObjectNotFound',
      targetObject: vm.name,
      exceptionType: VIRTUALIZATION_EXCEPTION,
    });
    return false;
  }
  const sharedDisk = vm.hardDrives.find((drive) => drive.path !== null && fileInUse(call.host, drive.path) && fileInUse(call.host, drive.path) !== vm);
  if (sharedDisk) {
    invalidState(call, vm, `The process cannot access the file '${sharedDisk.path}' because it is being used by another process.`);
    return false;
  }
  for (const adapter of vm.networkAdapters) if (adapter.dynamicMacAddressEnabled && /^0+$/.test(adapter.macAddress)) adapter.macAddress = dynamicMac();
  vm.state = 'Running';
  vm.startedAt = new Date().toISOString();
  return true;
}

function turnOff(vm: VmState): void {
  vm.state = 'Off';
  vm.startedAt = null;
}

const getVm: CmdletDefinition = {
  name: 'Get-VM',
  defaultSet: 'Name',
  parameters: [
    { name: 'Name', type: 'strings', position: 0, sets: ['Name'], aliases: ['VMName'] },
    { name: 'Id', type: 'string', sets: ['Id'] },
    { name: 'ComputerName', type: 'strings' },
  ],
  invoke(call) {
    if (call.params.has('Id')) {
      const id = (call.params.string('Id') ?? '').toLowerCase();
      const vm = call.host.vms.find((candidate) => candidate.id === id);
      if (vm) call.write(vmObject(vm));
      else failure(call, `Hyper-V was unable to find a virtual machine with id "${id}".`, 'InvalidParameter', 'InvalidArgument', id);
      return;
    }
    const names = call.hasPipelineInput && !call.params.has('Name') ? call.input.map(String) : undefined;
    const vms = names
      ? names.flatMap((name) => {
          const found = call.host.vms.filter((vm) => vm.name.toLowerCase() === name.toLowerCase());
          if (found.length === 0) vmNotFound(call, name);
          return found;
        })
      : targetVms(call, 'Name', { allWhenUnnamed: true });
    for (const vm of vms) call.write(vmObject(vm));
  },
};

function validateMemory(call: CmdletCall, vmName: string, bytes: number, device = 'Memory'): boolean {
  const fail = (detail: string) => {
    call.writeError({
      message: `Failed to modify device '${device}'.\n${detail}`,
      fullyQualifiedErrorId: `InvalidParameter,${cmdletClass(call.name)}`,
      category: 'InvalidArgument',
      targetObject: vmName,
      exceptionType: VIRTUALIZATION_EXCEPTION,
    });
    return false;
  };
  if (!isTwoMegabyteMultiple(bytes)) return fail(`Invalid startup memory amount assigned for '${vmName}'. The amount of memory must be a multiple of 2 MB.`);
  if (bytes < MIN_MEMORY_BYTES) return fail(`Invalid startup memory amount assigned for '${vmName}'. The minimum amount of memory you can assign to this virtual machine is 32 MB.`);
  if (bytes > MAX_MEMORY_BYTES) return fail(`Invalid startup memory amount assigned for '${vmName}'. The maximum amount of memory you can assign to this virtual machine is 12582912 MB.`);
  return true;
}

function vhdExtensionOk(path: string): boolean {
  return /\.vhdx?$/i.test(path);
}

const newVm: CmdletDefinition = {
  name: 'New-VM',
  defaultSet: 'No VHD',
  parameters: [
    { name: 'Name', type: 'string', position: 0, aliases: ['VMName'] },
    { name: 'MemoryStartupBytes', type: 'long', position: 1 },
    { name: 'Generation', type: 'enum', values: ['1', '2'], position: 2, dotNetType: 'System.Int16' },
    { name: 'BootDevice', type: 'enum', values: ['Floppy', 'CD', 'IDE', 'LegacyNetworkAdapter', 'NetworkAdapter', 'VHD'] },
    { name: 'Path', type: 'string' },
    { name: 'SwitchName', type: 'string' },
    { name: 'Version', type: 'string' },
    { name: 'Prerelease', type: 'switch' },
    { name: 'Force', type: 'switch' },
    { name: 'AsJob', type: 'switch' },
    { name: 'ComputerName', type: 'strings' },
    { name: 'NoVHD', type: 'switch', sets: ['No VHD'] },
    { name: 'VHDPath', type: 'string', mandatory: true, sets: ['Existing VHD'] },
    { name: 'NewVHDPath', type: 'string', mandatory: true, sets: ['New VHD'] },
    { name: 'NewVHDSizeBytes', type: 'long', mandatory: true, sets: ['New VHD'] },
  ],
  shouldProcess: 'low',
  invoke(call) {
    const name = call.params.string('Name') ?? 'New Virtual Machine';
    const generation = Number(call.params.string('Generation') ?? '1') as 1 | 2;
    const memory = call.params.number('MemoryStartupBytes') ?? DEFAULT_MEMORY_BYTES;
    const createFailed = (detail: string, id = 'InvalidParameter', category = 'InvalidArgument') =>
      call.writeError({ message: `Failed to create a new virtual machine.\n${detail}`, fullyQualifiedErrorId: `${id},${cmdletClass(call.name)}`, category, targetObject: name, exceptionType: VIRTUALIZATION_EXCEPTION });
    if (name.trim() === '' || name.length > MAX_VM_NAME_LENGTH) return createFailed(`The virtual machine name must be between 1 and ${MAX_VM_NAME_LENGTH} characters long.`);
    if (/[\\/:*?"<>|]/.test(name) || [...name].some((ch) => ch.charCodeAt(0) < 0x20)) return createFailed(`The virtual machine name '${name}' contains characters that are not valid in a path.`);
    if (!validateMemory(call, name, memory)) return;
    const switchName = call.params.string('SwitchName');
    if (switchName !== undefined && !findSwitch(call.host, switchName)) return switchNotFound(call, switchName);
    const basePath = normalisePath(call.params.string('Path') ?? call.host.defaults.vmPath);
    const hardDrives: DriveState[] = [];
    const controllerType = generation === 1 ? 'IDE' : 'SCSI';
    const vhdPath = call.params.string('VHDPath');
    const newVhdPath = call.params.string('NewVHDPath');
    if (vhdPath !== undefined) {
      if (!(pathKey(vhdPath) in call.host.files)) return createFailed(`The system cannot find the file specified. ('${vhdPath}') (0x80070002)`, 'ObjectNotFound', 'ObjectNotFound');
      if (!vhdExtensionOk(vhdPath) || (generation === 2 && !/\.vhdx$/i.test(vhdPath))) return createFailed(`The file '${vhdPath}' is not a virtual hard disk this generation of virtual machine can use.`);
      if (fileInUse(call.host, vhdPath)) return createFailed(`The process cannot access the file '${vhdPath}' because it is being used by another process.`, 'InvalidOperation', 'ResourceBusy');
      hardDrives.push({ controllerType, controllerNumber: 0, controllerLocation: 0, path: normalisePath(vhdPath) });
    }
    if (newVhdPath !== undefined) {
      const size = call.params.number('NewVHDSizeBytes') ?? 0;
      const absolute = /^[a-z]:\\|^\\\\/i.test(normalisePath(newVhdPath)) ? normalisePath(newVhdPath) : `${basePath}\\${name}\\Virtual Hard Disks\\${newVhdPath}`;
      if (!vhdExtensionOk(absolute)) return createFailed(`The file extension of '${absolute}' is not supported for a virtual hard disk.`);
      if (pathKey(absolute) in call.host.files) return createFailed(`The system failed to create '${absolute}': The file exists. (0x80070050)`, 'InvalidOperation', 'ResourceExists');
      const parent = parentDirectory(absolute);
      if (parent && !(pathKey(parent) in call.host.directories) && /^[a-z]:\\|^\\\\/i.test(normalisePath(newVhdPath))) {
        return createFailed(`The system failed to create '${absolute}': The system cannot find the path specified. (0x80070003)`, 'ObjectNotFound', 'ObjectNotFound');
      }
      if (size < MIN_VHD_BYTES || size > MAX_VHD_BYTES) return createFailed(`The size of the virtual hard disk must be between 3 MB and 64 TB.`);
      if (parent) ensureDirectory(call.host, parent);
      addFile(call.host, absolute, size);
      hardDrives.push({ controllerType, controllerNumber: 0, controllerLocation: 0, path: absolute });
    }
    ensureDirectory(call.host, `${basePath}\\${name}`);
    const vm: VmState = {
      id: randomUUID(),
      name,
      state: 'Off',
      generation,
      path: `${basePath}\\${name}`,
      memoryStartupBytes: memory,
      processorCount: 1,
      secureBoot: generation === 2,
      notes: '',
      networkAdapters: [{ id: randomUUID(), name: 'Network Adapter', switchName: switchName ? findSwitch(call.host, switchName)!.name : null, macAddress: '000000000000', dynamicMacAddressEnabled: true, vlanMode: 'Untagged', accessVlanId: 0 }],
      dvdDrives: generation === 1 ? [{ controllerType: 'IDE', controllerNumber: 1, controllerLocation: 0, path: null }] : [],
      hardDrives,
      startedAt: null,
      createdAt: new Date().toISOString(),
      checkpoints: [],
      parentCheckpointId: null,
    };
    call.host.vms.push(vm);
    call.write(vmObject(vm));
  },
};

const setVm: CmdletDefinition = {
  name: 'Set-VM',
  defaultSet: 'Name',
  parameters: [
    ...byNameOrVm(),
    { name: 'ProcessorCount', type: 'long' },
    { name: 'MemoryStartupBytes', type: 'long' },
    { name: 'StaticMemory', type: 'switch' },
    { name: 'DynamicMemory', type: 'switch' },
    { name: 'Notes', type: 'string' },
    { name: 'NewVMName', type: 'string' },
    { name: 'AutomaticStartAction', type: 'enum', values: ['Nothing', 'StartIfRunning', 'Start'] },
    { name: 'AutomaticStopAction', type: 'enum', values: ['TurnOff', 'Save', 'ShutDown'] },
    { name: 'CheckpointType', type: 'enum', values: ['Disabled', 'Production', 'ProductionOnly', 'Standard'] },
  ],
  shouldProcess: 'low',
  invoke(call) {
    for (const vm of targetVms(call, 'Name')) {
      const processors = call.params.number('ProcessorCount');
      const memory = call.params.number('MemoryStartupBytes');
      if ((processors !== undefined || memory !== undefined) && vm.state !== 'Off') {
        deviceError(call, vm, processors !== undefined ? 'Processor' : 'Memory', 'The operation cannot be performed while the virtual machine is in its current state.', 'InvalidState', 'InvalidOperation');
        continue;
      }
      if (processors !== undefined && (processors < 1 || processors > call.host.logicalProcessorCount)) {
        deviceError(call, vm, 'Processor', `The number of virtual processors must be between 1 and ${call.host.logicalProcessorCount}.`);
        continue;
      }
      if (memory !== undefined && !validateMemory(call, vm.name, memory)) continue;
      const newName = call.params.string('NewVMName');
      if (newName !== undefined && (newName.trim() === '' || newName.length > MAX_VM_NAME_LENGTH)) {
        failure(call, `The virtual machine name must be between 1 and ${MAX_VM_NAME_LENGTH} characters long.`, 'InvalidParameter', 'InvalidArgument', vm.name);
        continue;
      }
      if (processors !== undefined) vm.processorCount = processors;
      if (memory !== undefined) vm.memoryStartupBytes = memory;
      const notes = call.params.string('Notes');
      if (notes !== undefined) vm.notes = notes;
      if (newName !== undefined) vm.name = newName;
      passThru(call, vm);
    }
  },
};

const startVmCmdlet: CmdletDefinition = {
  name: 'Start-VM',
  defaultSet: 'Name',
  parameters: byNameOrVm(),
  shouldProcess: 'low',
  invoke(call) {
    for (const vm of targetVms(call, 'Name')) if (startVm(call, vm)) passThru(call, vm);
  },
};

const stopVm: CmdletDefinition = {
  name: 'Stop-VM',
  defaultSet: 'Name',
  parameters: [...byNameOrVm(), { name: 'Force', type: 'switch' }, { name: 'TurnOff', type: 'switch' }, { name: 'Save', type: 'switch' }],
  shouldProcess: 'low',
  invoke(call) {
    for (const vm of targetVms(call, 'Name')) {
      if (vm.state === 'Off') {
        passThru(call, vm);
        continue;
      }
      if (call.params.switch('Save')) {
        if (vm.state !== 'Running' && vm.state !== 'Paused') {
          invalidState(call, vm);
          continue;
        }
        vm.state = 'Saved';
        vm.startedAt = null;
      } else if (vm.state === 'Paused' && !call.params.switch('TurnOff')) {
        // A guest shutdown needs a running guest; Hyper-V refuses it for a paused VM.
        invalidState(call, vm, 'The virtual machine must be running to shut down its guest operating system.');
        continue;
      } else turnOff(vm);
      passThru(call, vm);
    }
  },
};

const restartVm: CmdletDefinition = {
  name: 'Restart-VM',
  defaultSet: 'Name',
  parameters: [...byNameOrVm(), { name: 'Force', type: 'switch' }, { name: 'Type', type: 'enum', values: ['Reset', 'Reboot'] }, { name: 'Wait', type: 'switch' }],
  shouldProcess: 'high',
  invoke(call) {
    for (const vm of targetVms(call, 'Name')) {
      if (vm.state !== 'Running') {
        invalidState(call, vm);
        continue;
      }
      vm.startedAt = new Date().toISOString();
      passThru(call, vm);
    }
  },
};

const suspendVm: CmdletDefinition = {
  name: 'Suspend-VM',
  defaultSet: 'Name',
  parameters: byNameOrVm(),
  shouldProcess: 'low',
  invoke(call) {
    for (const vm of targetVms(call, 'Name')) {
      if (vm.state !== 'Running') {
        invalidState(call, vm);
        continue;
      }
      vm.state = 'Paused';
      passThru(call, vm);
    }
  },
};

const resumeVm: CmdletDefinition = {
  name: 'Resume-VM',
  defaultSet: 'Name',
  parameters: byNameOrVm(),
  shouldProcess: 'low',
  invoke(call) {
    for (const vm of targetVms(call, 'Name')) {
      if (vm.state !== 'Paused') {
        invalidState(call, vm);
        continue;
      }
      vm.state = 'Running';
      passThru(call, vm);
    }
  },
};

const removeVm: CmdletDefinition = {
  name: 'Remove-VM',
  defaultSet: 'Name',
  parameters: [...byNameOrVm(), { name: 'Force', type: 'switch' }],
  shouldProcess: 'high',
  invoke(call) {
    for (const vm of targetVms(call, 'Name')) {
      // Hyper-V turns a running VM off before deleting it; its virtual hard disks stay on disk.
      call.host.vms = call.host.vms.filter((candidate) => candidate !== vm);
      passThru(call, vm);
    }
  },
};

const setVmProcessor: CmdletDefinition = {
  name: 'Set-VMProcessor',
  defaultSet: 'VMName',
  parameters: [...byVmName(), { name: 'Count', type: 'long' }, { name: 'Reserve', type: 'long' }, { name: 'Maximum', type: 'long' }, { name: 'RelativeWeight', type: 'int' }, { name: 'ExposeVirtualizationExtensions', type: 'bool' }],
  shouldProcess: 'low',
  invoke(call) {
    const count = call.params.number('Count');
    for (const vm of targetVms(call, 'VMName')) {
      if (count === undefined) continue;
      if (vm.state !== 'Off' && count !== vm.processorCount) {
        deviceError(call, vm, 'Processor', 'The number of virtual processors cannot be changed while the virtual machine is running.', 'InvalidState', 'InvalidOperation');
        continue;
      }
      if (count < 1 || count > call.host.logicalProcessorCount) {
        deviceError(call, vm, 'Processor', `The virtual machine cannot have ${count} virtual processors. The number must be between 1 and the number of logical processors of the host (${call.host.logicalProcessorCount}).`);
        continue;
      }
      vm.processorCount = count;
      if (call.params.switch('Passthru')) call.write(new PsObject(['Microsoft.HyperV.PowerShell.VMProcessor'], [['VMName', vm.name], ['Count', vm.processorCount]]));
    }
  },
};

const getVmProcessor: CmdletDefinition = {
  name: 'Get-VMProcessor',
  defaultSet: 'VMName',
  parameters: byVmName(),
  invoke(call) {
    for (const vm of targetVms(call, 'VMName')) call.write(new PsObject(['Microsoft.HyperV.PowerShell.VMProcessor'], [['VMName', vm.name], ['Count', vm.processorCount], ['CompatibilityForMigrationEnabled', false], ['ExposeVirtualizationExtensions', false]]));
  },
};

const getVmMemory: CmdletDefinition = {
  name: 'Get-VMMemory',
  defaultSet: 'VMName',
  parameters: byVmName(),
  invoke(call) {
    for (const vm of targetVms(call, 'VMName')) call.write(new PsObject(['Microsoft.HyperV.PowerShell.VMMemory'], [['VMName', vm.name], ['DynamicMemoryEnabled', false], ['Startup', vm.memoryStartupBytes], ['Minimum', vm.memoryStartupBytes], ['Maximum', vm.memoryStartupBytes]]));
  },
};

const setVmMemory: CmdletDefinition = {
  name: 'Set-VMMemory',
  defaultSet: 'VMName',
  parameters: [...byVmName(), { name: 'StartupBytes', type: 'long' }, { name: 'DynamicMemoryEnabled', type: 'bool' }, { name: 'MinimumBytes', type: 'long' }, { name: 'MaximumBytes', type: 'long' }, { name: 'Buffer', type: 'int' }, { name: 'Priority', type: 'int' }],
  shouldProcess: 'low',
  invoke(call) {
    const startup = call.params.number('StartupBytes');
    for (const vm of targetVms(call, 'VMName')) {
      if (startup === undefined) continue;
      if (!validateMemory(call, vm.name, startup)) continue;
      if (vm.state !== 'Off' && startup !== vm.memoryStartupBytes) {
        deviceError(call, vm, 'Memory', 'The startup memory of a virtual machine with static memory cannot be changed while it is running.', 'InvalidState', 'InvalidOperation');
        continue;
      }
      vm.memoryStartupBytes = startup;
      if (call.params.switch('Passthru')) call.write(new PsObject(['Microsoft.HyperV.PowerShell.VMMemory'], [['VMName', vm.name], ['Startup', vm.memoryStartupBytes]]));
    }
  },
};

const setVmFirmware: CmdletDefinition = {
  name: 'Set-VMFirmware',
  defaultSet: 'VMName',
  parameters: [...byVmName(), { name: 'EnableSecureBoot', type: 'enum', values: ['On', 'Off'], dotNetType: 'Microsoft.HyperV.PowerShell.OnOffState' }, { name: 'SecureBootTemplate', type: 'string' }, { name: 'FirstBootDevice', type: 'any' }],
  shouldProcess: 'low',
  invoke(call) {
    const secureBoot = call.params.string('EnableSecureBoot');
    for (const vm of targetVms(call, 'VMName')) {
      if (vm.generation !== 2) {
        failure(call, `The operation cannot be performed because the virtual machine '${vm.name}' is not a generation 2 virtual machine.`, 'InvalidParameter', 'InvalidArgument', vm.name);
        continue;
      }
      if (secureBoot !== undefined && vm.state !== 'Off' && (secureBoot === 'On') !== vm.secureBoot) {
        deviceError(call, vm, 'Firmware', 'Secure Boot settings cannot be changed while the virtual machine is running.', 'InvalidState', 'InvalidOperation');
        continue;
      }
      if (secureBoot !== undefined) vm.secureBoot = secureBoot === 'On';
      if (call.params.switch('Passthru')) call.write(firmwareObject(vm));
    }
  },
};

function firmwareObject(vm: VmState): PsObject {
  return new PsObject(['Microsoft.HyperV.PowerShell.VMFirmware'], [['VMName', vm.name], ['SecureBoot', enumValue('OnOffState', vm.secureBoot ? 'On' : 'Off')], ['SecureBootTemplate', 'MicrosoftWindows']]);
}

const getVmFirmware: CmdletDefinition = {
  name: 'Get-VMFirmware',
  defaultSet: 'VMName',
  parameters: byVmName(),
  invoke(call) {
    for (const vm of targetVms(call, 'VMName')) {
      if (vm.generation !== 2) failure(call, `The operation cannot be performed because the virtual machine '${vm.name}' is not a generation 2 virtual machine.`, 'InvalidParameter', 'InvalidArgument', vm.name);
      else call.write(firmwareObject(vm));
    }
  },
};

/** Adapter selection for the *-VMNetworkAdapter* cmdlets: by VM + adapter name, or adapter objects. */
function targetAdapters(call: CmdletCall, nameParameter: string, requireMatch: boolean): Array<{ vm: VmState; adapter: NetworkAdapterState }> {
  const result: Array<{ vm: VmState; adapter: NetworkAdapterState }> = [];
  const adapterObjects = call.params.has('VMNetworkAdapter') ? [call.params.get('VMNetworkAdapter') ?? null].flat() : call.hasPipelineInput && call.input.every((item) => item instanceof PsObject && item.native?.kind === 'adapter') ? [...call.input] : undefined;
  if (adapterObjects !== undefined) {
    for (const object of adapterObjects) {
      const native = object instanceof PsObject ? object.native : undefined;
      if (native?.kind !== 'adapter') {
        call.terminate({ message: "Cannot bind parameter 'VMNetworkAdapter'. The value is not a virtual network adapter.", fullyQualifiedErrorId: `CannotConvertArgumentNoMessage,${cmdletClass(call.name)}`, category: 'InvalidArgument', exceptionType: 'System.Management.Automation.ParameterBindingException' });
      }
      const vm = call.host.vms.find((candidate) => candidate.id === native.vmId);
      const adapter = vm?.networkAdapters.find((candidate) => candidate.id === native.adapterId);
      if (vm && adapter) result.push({ vm, adapter });
      else call.writeError({ message: 'The operation failed because the object was not found.', fullyQualifiedErrorId: `ObjectNotFound,${cmdletClass(call.name)}`, category: 'ObjectNotFound', exceptionType: VIRTUALIZATION_EXCEPTION });
    }
    return result;
  }
  const names = call.params.strings(nameParameter);
  for (const vm of targetVms(call, 'VMName')) {
    if (names === undefined) {
      for (const adapter of vm.networkAdapters) result.push({ vm, adapter });
      continue;
    }
    for (const name of names) {
      const regex = hasWildcards(name) ? wildcardToRegExp(name) : undefined;
      const matches = vm.networkAdapters.filter((adapter) => (regex ? regex.test(adapter.name) : adapter.name.toLowerCase() === name.toLowerCase()));
      if (matches.length === 0 && requireMatch && !regex) {
        call.writeError({ message: `No network adapter is found with the given name '${name}'.`, fullyQualifiedErrorId: `ObjectNotFound,${cmdletClass(call.name)}`, category: 'ObjectNotFound', targetObject: name, exceptionType: VIRTUALIZATION_EXCEPTION });
      }
      for (const adapter of matches) result.push({ vm, adapter });
    }
  }
  return result;
}

const adapterSelection: ParameterDefinition[] = [
  { name: 'VMName', type: 'strings', position: 0, mandatory: ['VMName'], sets: ['VMName'] },
  { name: 'VM', type: 'any', mandatory: ['VMObject'], sets: ['VMObject'] },
  { name: 'VMNetworkAdapter', type: 'any', mandatory: ['Object'], sets: ['Object'], fromPipeline: true },
  { name: 'Passthru', type: 'switch' },
  { name: 'ComputerName', type: 'strings' },
];

const getVmNetworkAdapter: CmdletDefinition = {
  name: 'Get-VMNetworkAdapter',
  defaultSet: 'VMName',
  parameters: [
    { name: 'VMName', type: 'strings', position: 0, mandatory: ['VMName'], sets: ['VMName'] },
    { name: 'VM', type: 'any', mandatory: ['VMObject'], sets: ['VMObject'], fromPipeline: true },
    { name: 'All', type: 'switch', mandatory: ['All'], sets: ['All'] },
    { name: 'ManagementOS', type: 'switch', mandatory: ['ManagementOS'], sets: ['ManagementOS'] },
    { name: 'Name', type: 'strings' },
    { name: 'ComputerName', type: 'strings' },
  ],
  invoke(call) {
    if (call.params.switch('ManagementOS')) return;
    if (call.params.switch('All')) {
      for (const vm of call.host.vms) for (const adapter of vm.networkAdapters) call.write(adapterObject(vm, adapter));
      return;
    }
    for (const { vm, adapter } of targetAdapters(call, 'Name', true)) call.write(adapterObject(vm, adapter));
  },
};

const addVmNetworkAdapter: CmdletDefinition = {
  name: 'Add-VMNetworkAdapter',
  defaultSet: 'VMName',
  parameters: [...byVmName(), { name: 'Name', type: 'string' }, { name: 'SwitchName', type: 'string' }, { name: 'StaticMacAddress', type: 'string' }, { name: 'DynamicMacAddress', type: 'switch' }, { name: 'IsLegacy', type: 'bool' }, { name: 'DeviceNaming', type: 'string' }],
  shouldProcess: 'low',
  invoke(call) {
    const name = call.params.string('Name') ?? 'Network Adapter';
    const switchName = call.params.string('SwitchName');
    const staticMac = call.params.string('StaticMacAddress');
    const mac = staticMac === undefined ? undefined : parseMacAddress(staticMac);
    for (const vm of targetVms(call, 'VMName')) {
      if (staticMac !== undefined && mac === undefined) {
        deviceError(call, vm, 'Network Adapter', `The MAC address '${staticMac}' is not valid. Specify 12 hexadecimal digits of a unicast address.`);
        continue;
      }
      if (switchName !== undefined && !findSwitch(call.host, switchName)) {
        switchNotFound(call, switchName);
        continue;
      }
      if (vm.networkAdapters.length >= MAX_ADAPTERS) {
        deviceError(call, vm, 'Network Adapter', `A virtual machine can have at most ${MAX_ADAPTERS} network adapters.`, 'InvalidOperation', 'InvalidOperation');
        continue;
      }
      if (vm.generation === 1 && vm.state !== 'Off') {
        deviceError(call, vm, 'Network Adapter', 'Network adapters cannot be added to a running generation 1 virtual machine.', 'InvalidState', 'InvalidOperation');
        continue;
      }
      const adapter: NetworkAdapterState = {
        id: randomUUID(),
        name,
        switchName: switchName ? findSwitch(call.host, switchName)!.name : null,
        macAddress: mac ?? (vm.state === 'Running' ? dynamicMac() : '000000000000'),
        dynamicMacAddressEnabled: mac === undefined,
        vlanMode: 'Untagged',
        accessVlanId: 0,
      };
      vm.networkAdapters.push(adapter);
      if (call.params.switch('Passthru')) call.write(adapterObject(vm, adapter));
    }
  },
};

const removeVmNetworkAdapter: CmdletDefinition = {
  name: 'Remove-VMNetworkAdapter',
  defaultSet: 'VMName',
  parameters: [...adapterSelection, { name: 'Name', type: 'strings', position: 1, mandatory: ['VMName', 'VMObject'], sets: ['VMName', 'VMObject'] }],
  shouldProcess: 'low',
  invoke(call) {
    for (const { vm, adapter } of targetAdapters(call, 'Name', true)) {
      if (vm.generation === 1 && vm.state !== 'Off') {
        deviceError(call, vm, 'Network Adapter', 'Network adapters cannot be removed from a running generation 1 virtual machine.', 'InvalidState', 'InvalidOperation');
        continue;
      }
      vm.networkAdapters = vm.networkAdapters.filter((candidate) => candidate !== adapter);
    }
  },
};

const setVmNetworkAdapter: CmdletDefinition = {
  name: 'Set-VMNetworkAdapter',
  defaultSet: 'VMName',
  parameters: [...adapterSelection, { name: 'Name', type: 'strings' }, { name: 'StaticMacAddress', type: 'string' }, { name: 'DynamicMacAddress', type: 'switch' }, { name: 'MacAddressSpoofing', type: 'enum', values: ['On', 'Off'] }, { name: 'DhcpGuard', type: 'enum', values: ['On', 'Off'] }, { name: 'RouterGuard', type: 'enum', values: ['On', 'Off'] }, { name: 'DeviceNaming', type: 'enum', values: ['On', 'Off'] }],
  shouldProcess: 'low',
  invoke(call) {
    const staticMac = call.params.string('StaticMacAddress');
    const mac = staticMac === undefined ? undefined : parseMacAddress(staticMac);
    for (const { vm, adapter } of targetAdapters(call, 'Name', true)) {
      if (staticMac !== undefined) {
        if (mac === undefined) {
          deviceError(call, vm, 'Network Adapter', `The MAC address '${staticMac}' is not valid. Specify 12 hexadecimal digits of a unicast address.`);
          continue;
        }
        if (vm.state !== 'Off' && mac !== adapter.macAddress) {
          deviceError(call, vm, 'Network Adapter', 'The MAC address of a network adapter cannot be changed while the virtual machine is running.', 'InvalidState', 'InvalidOperation');
          continue;
        }
        adapter.macAddress = mac;
        adapter.dynamicMacAddressEnabled = false;
      } else if (call.params.switch('DynamicMacAddress')) adapter.dynamicMacAddressEnabled = true;
      if (call.params.switch('Passthru')) call.write(adapterObject(vm, adapter));
    }
  },
};

const connectVmNetworkAdapter: CmdletDefinition = {
  name: 'Connect-VMNetworkAdapter',
  defaultSet: 'VMName',
  parameters: [...adapterSelection, { name: 'Name', type: 'strings', position: 1 }, { name: 'SwitchName', type: 'string', position: 2, mandatory: true }],
  invoke(call) {
    const switchName = call.params.string('SwitchName') ?? '';
    const entry = findSwitch(call.host, switchName);
    if (!entry) return switchNotFound(call, switchName);
    for (const { vm, adapter } of targetAdapters(call, 'Name', true)) {
      adapter.switchName = entry.name;
      if (call.params.switch('Passthru')) call.write(adapterObject(vm, adapter));
    }
  },
};

const disconnectVmNetworkAdapter: CmdletDefinition = {
  name: 'Disconnect-VMNetworkAdapter',
  defaultSet: 'VMName',
  parameters: [...adapterSelection, { name: 'Name', type: 'strings', position: 1 }],
  invoke(call) {
    for (const { adapter } of targetAdapters(call, 'Name', true)) adapter.switchName = null;
  },
};

const MAX_VLAN_ID = 4094;

const setVmNetworkAdapterVlan: CmdletDefinition = {
  name: 'Set-VMNetworkAdapterVlan',
  defaultSet: 'VMName',
  parameters: [
    ...adapterSelection,
    { name: 'VMNetworkAdapterName', type: 'strings' },
    { name: 'Access', type: 'switch', aliases: ['a'] },
    { name: 'Untagged', type: 'switch', aliases: ['u'] },
    { name: 'Trunk', type: 'switch', aliases: ['t'] },
    { name: 'VlanId', type: 'int', aliases: ['AccessVlanId'] },
    { name: 'NativeVlanId', type: 'int' },
    { name: 'AllowedVlanIdList', type: 'string' },
  ],
  invoke(call) {
    const access = call.params.switch('Access');
    const untagged = call.params.switch('Untagged');
    if (call.params.switch('Trunk')) {
      call.terminate({ message: 'Trunk mode is not supported by this Hyper-V host emulator.', fullyQualifiedErrorId: `NotSupported,${cmdletClass(call.name)}`, category: 'NotImplemented', exceptionType: 'System.NotSupportedException' });
    }
    if (access === untagged) {
      call.terminate({ message: 'Specify exactly one of the -Access and -Untagged parameters.', fullyQualifiedErrorId: `AmbiguousParameterSet,${cmdletClass(call.name)}`, category: 'InvalidArgument', exceptionType: 'System.Management.Automation.ParameterBindingException' });
    }
    const vlanId = call.params.number('VlanId');
    if (access && vlanId === undefined) {
      call.terminate({ message: 'Cannot process command because of one or more missing mandatory parameters: VlanId.', fullyQualifiedErrorId: `MissingMandatoryParameter,${cmdletClass(call.name)}`, category: 'InvalidArgument', exceptionType: 'System.Management.Automation.ParameterBindingException' });
    }
    for (const { vm, adapter } of targetAdapters(call, 'VMNetworkAdapterName', true)) {
      if (access && (vlanId! < 1 || vlanId! > MAX_VLAN_ID)) {
        deviceError(call, vm, 'Network Adapter', `The VLAN identifier ${vlanId} is out of range. Valid VLAN identifiers are 1 to ${MAX_VLAN_ID}.`);
        continue;
      }
      adapter.vlanMode = access ? 'Access' : 'Untagged';
      adapter.accessVlanId = access ? vlanId! : 0;
      if (call.params.switch('Passthru')) call.write(adapterObject(vm, adapter).get('VlanSetting') ?? null);
    }
  },
};

const getVmNetworkAdapterVlan: CmdletDefinition = {
  name: 'Get-VMNetworkAdapterVlan',
  defaultSet: 'VMName',
  parameters: [...adapterSelection, { name: 'VMNetworkAdapterName', type: 'strings' }],
  invoke(call) {
    for (const { vm, adapter } of targetAdapters(call, 'VMNetworkAdapterName', true)) call.write(adapterObject(vm, adapter).get('VlanSetting') ?? null);
  },
};

/** The first free controller slot for a new drive: IDE 0/1 × 2 locations on gen 1, SCSI 0 × 64 on gen 2. */
function freeSlot(vm: VmState, controllerNumber?: number, controllerLocation?: number): { controllerType: 'IDE' | 'SCSI'; controllerNumber: number; controllerLocation: number } | undefined {
  const controllerType = vm.generation === 1 ? 'IDE' : 'SCSI';
  const used = [...vm.hardDrives, ...vm.dvdDrives].filter((drive) => drive.controllerType === controllerType);
  const numbers = vm.generation === 1 ? [0, 1] : [0, 1, 2, 3];
  const locations = vm.generation === 1 ? [0, 1] : Array.from({ length: 64 }, (_, i) => i);
  for (const number of controllerNumber !== undefined ? [controllerNumber] : numbers) {
    for (const location of controllerLocation !== undefined ? [controllerLocation] : locations) {
      if (!numbers.includes(number) || !locations.includes(location)) return undefined;
      if (!used.some((drive) => drive.controllerNumber === number && drive.controllerLocation === location)) return { controllerType, controllerNumber: number, controllerLocation: location };
    }
  }
  return undefined;
}

const driveParameters: ParameterDefinition[] = [...byVmName(), { name: 'Path', type: 'string', position: 1 }, { name: 'ControllerNumber', type: 'int' }, { name: 'ControllerLocation', type: 'int' }];

const addVmDvdDrive: CmdletDefinition = {
  name: 'Add-VMDvdDrive',
  defaultSet: 'VMName',
  parameters: driveParameters,
  shouldProcess: 'low',
  invoke(call) {
    const path = call.params.string('Path');
    for (const vm of targetVms(call, 'VMName')) {
      if (path !== undefined && !(pathKey(path) in call.host.files)) {
        deviceError(call, vm, 'Virtual CD/DVD Disk', `The system cannot find the file specified. ('${path}') (0x80070002)`, 'ObjectNotFound', 'ObjectNotFound');
        continue;
      }
      if (path !== undefined && !/\.iso$/i.test(path)) {
        deviceError(call, vm, 'Virtual CD/DVD Disk', `The file '${path}' is not an ISO image.`);
        continue;
      }
      if (vm.generation === 1 && vm.state !== 'Off') {
        deviceError(call, vm, 'Virtual CD/DVD Disk', 'IDE devices cannot be added while the virtual machine is running.', 'InvalidState', 'InvalidOperation');
        continue;
      }
      const slot = freeSlot(vm, call.params.number('ControllerNumber'), call.params.number('ControllerLocation'));
      if (!slot) {
        deviceError(call, vm, 'Virtual CD/DVD Disk', 'The specified controller location is not available.', 'InvalidParameter', 'InvalidArgument');
        continue;
      }
      const drive: DriveState = { ...slot, path: path === undefined ? null : normalisePath(path) };
      vm.dvdDrives.push(drive);
      if (call.params.switch('Passthru')) call.write(driveObject(vm, drive, 'DvdDrive'));
    }
  },
};

const setVmDvdDrive: CmdletDefinition = {
  name: 'Set-VMDvdDrive',
  defaultSet: 'VMName',
  parameters: driveParameters,
  shouldProcess: 'low',
  invoke(call) {
    const path = call.params.get('Path') === null ? null : call.params.string('Path');
    for (const vm of targetVms(call, 'VMName')) {
      const drive = vm.dvdDrives.find((candidate) => (call.params.number('ControllerNumber') ?? candidate.controllerNumber) === candidate.controllerNumber && (call.params.number('ControllerLocation') ?? candidate.controllerLocation) === candidate.controllerLocation);
      if (!drive) {
        failure(call, `No DVD drive was found on virtual machine '${vm.name}' at the given location.`, 'ObjectNotFound', 'ObjectNotFound', vm.name);
        continue;
      }
      if (path !== undefined && path !== null && !(pathKey(path) in call.host.files)) {
        deviceError(call, vm, 'Virtual CD/DVD Disk', `The system cannot find the file specified. ('${path}') (0x80070002)`, 'ObjectNotFound', 'ObjectNotFound');
        continue;
      }
      if (path !== undefined) drive.path = path === null ? null : normalisePath(path);
      if (call.params.switch('Passthru')) call.write(driveObject(vm, drive, 'DvdDrive'));
    }
  },
};

const getVmDvdDrive: CmdletDefinition = {
  name: 'Get-VMDvdDrive',
  defaultSet: 'VMName',
  parameters: byVmName(),
  invoke(call) {
    for (const vm of targetVms(call, 'VMName')) for (const drive of vm.dvdDrives) call.write(driveObject(vm, drive, 'DvdDrive'));
  },
};

const addVmHardDiskDrive: CmdletDefinition = {
  name: 'Add-VMHardDiskDrive',
  defaultSet: 'VMName',
  parameters: [...driveParameters, { name: 'ControllerType', type: 'enum', values: ['IDE', 'SCSI'] }],
  shouldProcess: 'low',
  invoke(call) {
    const path = call.params.string('Path');
    for (const vm of targetVms(call, 'VMName')) {
      if (path === undefined || !(pathKey(path) in call.host.files)) {
        deviceError(call, vm, 'Virtual Hard Disk', `The system cannot find the file specified. ('${path ?? ''}') (0x80070002)`, 'ObjectNotFound', 'ObjectNotFound');
        continue;
      }
      if (!vhdExtensionOk(path)) {
        deviceError(call, vm, 'Virtual Hard Disk', `The file '${path}' is not a virtual hard disk.`);
        continue;
      }
      if (fileInUse(call.host, path) || call.host.vms.some((other) => other.hardDrives.some((drive) => drive.path !== null && pathKey(drive.path) === pathKey(path)) && other === vm)) {
        deviceError(call, vm, 'Virtual Hard Disk', `The process cannot access the file '${path}' because it is being used by another process.`, 'InvalidOperation', 'ResourceBusy');
        continue;
      }
      const slot = freeSlot(vm, call.params.number('ControllerNumber'), call.params.number('ControllerLocation'));
      if (!slot || (vm.generation === 1 && vm.state !== 'Off')) {
        deviceError(call, vm, 'Virtual Hard Disk', 'The specified controller location is not available.', 'InvalidParameter', 'InvalidArgument');
        continue;
      }
      const drive: DriveState = { ...slot, path: normalisePath(path) };
      vm.hardDrives.push(drive);
      if (call.params.switch('Passthru')) call.write(driveObject(vm, drive, 'HardDiskDrive'));
    }
  },
};

const getVmHardDiskDrive: CmdletDefinition = {
  name: 'Get-VMHardDiskDrive',
  defaultSet: 'VMName',
  parameters: byVmName(),
  invoke(call) {
    for (const vm of targetVms(call, 'VMName')) for (const drive of vm.hardDrives) call.write(driveObject(vm, drive, 'HardDiskDrive'));
  },
};

function vhdObject(path: string, size: number, type: 'Dynamic' | 'Fixed' | 'Differencing', attached: boolean): PsObject {
  return new PsObject(['Microsoft.Vhd.PowerShell.VirtualHardDisk'], [
    ['Path', path],
    ['VhdFormat', /\.vhdx$/i.test(path) ? 'VHDX' : 'VHD'],
    ['VhdType', enumValue('VhdType', type)],
    ['FileSize', type === 'Fixed' ? size : 4 * MB],
    ['Size', size],
    ['Attached', attached],
  ]);
}

const newVhd: CmdletDefinition = {
  name: 'New-VHD',
  defaultSet: 'DynamicWithoutSource',
  parameters: [
    { name: 'Path', type: 'strings', position: 0, mandatory: true },
    { name: 'SizeBytes', type: 'long', position: 1, mandatory: ['DynamicWithoutSource', 'FixedWithoutSource'], sets: ['DynamicWithoutSource', 'FixedWithoutSource', 'Differencing'] },
    { name: 'Dynamic', type: 'switch', sets: ['DynamicWithoutSource'] },
    { name: 'Fixed', type: 'switch', mandatory: ['FixedWithoutSource'], sets: ['FixedWithoutSource'] },
    { name: 'ParentPath', type: 'string', mandatory: ['Differencing'], sets: ['Differencing'] },
    { name: 'Differencing', type: 'switch', sets: ['Differencing'] },
    { name: 'BlockSizeBytes', type: 'long' },
    { name: 'LogicalSectorSizeBytes', type: 'long' },
    { name: 'PhysicalSectorSizeBytes', type: 'long' },
    { name: 'ComputerName', type: 'strings' },
    { name: 'AsJob', type: 'switch' },
  ],
  shouldProcess: 'low',
  invoke(call) {
    const parentPath = call.params.string('ParentPath');
    for (const path of call.params.strings('Path') ?? []) {
      const fail = (detail: string, id: string, category: string) =>
        call.writeError({ message: `Failed to create the virtual hard disk.\n${detail}`, fullyQualifiedErrorId: `${id},Microsoft.Vhd.PowerShell.Cmdlets.NewVhd`, category, targetObject: path, exceptionType: VIRTUALIZATION_EXCEPTION });
      const size = parentPath !== undefined ? (call.host.files[pathKey(parentPath)]?.sizeBytes ?? 0) : (call.params.number('SizeBytes') ?? 0);
      if (!vhdExtensionOk(path)) {
        fail(`The file extension of '${path}' is not supported. Use .vhd or .vhdx.`, 'InvalidParameter', 'InvalidArgument');
        continue;
      }
      if (pathKey(path) in call.host.files) {
        fail(`The system failed to create '${normalisePath(path)}': The file exists. (0x80070050)`, 'InvalidOperation', 'ResourceExists');
        continue;
      }
      const parent = parentDirectory(path);
      if (!parent || !(pathKey(parent) in call.host.directories)) {
        fail(`The system failed to create '${normalisePath(path)}': The system cannot find the path specified. (0x80070003)`, 'ObjectNotFound', 'ObjectNotFound');
        continue;
      }
      if (parentPath !== undefined && !(pathKey(parentPath) in call.host.files)) {
        fail(`The system cannot find the file specified. ('${parentPath}') (0x80070002)`, 'ObjectNotFound', 'ObjectNotFound');
        continue;
      }
      if (size < MIN_VHD_BYTES || size > MAX_VHD_BYTES) {
        fail('The size of the virtual hard disk must be between 3 MB and 64 TB.', 'InvalidParameter', 'InvalidArgument');
        continue;
      }
      addFile(call.host, path, size);
      call.write(vhdObject(normalisePath(path), size, parentPath !== undefined ? 'Differencing' : call.params.switch('Fixed') ? 'Fixed' : 'Dynamic', false));
    }
  },
};

const getVhd: CmdletDefinition = {
  name: 'Get-VHD',
  parameters: [{ name: 'Path', type: 'strings', position: 0, mandatory: true }, { name: 'ComputerName', type: 'strings' }],
  invoke(call) {
    for (const path of call.params.strings('Path') ?? []) {
      const entry = call.host.files[pathKey(path)];
      if (!entry || !vhdExtensionOk(path)) {
        call.writeError({ message: `Getting the mounted storage instance for the path '${path}' failed.\nThe system cannot find the file specified.`, fullyQualifiedErrorId: 'ObjectNotFound,Microsoft.Vhd.PowerShell.Cmdlets.GetVHD', category: 'ObjectNotFound', targetObject: path, exceptionType: VIRTUALIZATION_EXCEPTION });
        continue;
      }
      call.write(vhdObject(entry.path, entry.sizeBytes, 'Dynamic', call.host.vms.some((vm) => vm.hardDrives.some((drive) => drive.path !== null && pathKey(drive.path) === pathKey(path)))));
    }
  },
};

function captureConfiguration(vm: VmState): VmConfiguration {
  return structuredClone({
    memoryStartupBytes: vm.memoryStartupBytes,
    processorCount: vm.processorCount,
    secureBoot: vm.secureBoot,
    notes: vm.notes,
    networkAdapters: vm.networkAdapters,
    dvdDrives: vm.dvdDrives,
    hardDrives: vm.hardDrives,
  });
}

function defaultCheckpointName(vm: VmState): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  const hours = d.getUTCHours() % 12 === 0 ? 12 : d.getUTCHours() % 12;
  return `${vm.name} - (${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} - ${hours}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${d.getUTCHours() < 12 ? 'AM' : 'PM'})`;
}

const checkpointVm: CmdletDefinition = {
  name: 'Checkpoint-VM',
  defaultSet: 'Name',
  parameters: [...byNameOrVm(), { name: 'SnapshotName', type: 'string', position: 1 }],
  shouldProcess: 'low',
  invoke(call) {
    const requested = call.params.string('SnapshotName');
    for (const vm of targetVms(call, 'Name')) {
      const name = requested ?? defaultCheckpointName(vm);
      if (name.trim() === '' || name.length > MAX_VM_NAME_LENGTH) {
        failure(call, `The checkpoint name must be between 1 and ${MAX_VM_NAME_LENGTH} characters long.`, 'InvalidParameter', 'InvalidArgument', name);
        continue;
      }
      if (vm.checkpoints.length >= MAX_CHECKPOINTS) {
        failure(call, `'${vm.name}' could not create a checkpoint: a virtual machine can have at most ${MAX_CHECKPOINTS} checkpoints.`, 'InvalidOperation', 'InvalidOperation', vm.name);
        continue;
      }
      const checkpoint = { id: randomUUID(), name, creationTime: new Date().toISOString(), parentCheckpointId: vm.parentCheckpointId, configuration: captureConfiguration(vm) };
      vm.checkpoints.push(checkpoint);
      vm.parentCheckpointId = checkpoint.id;
      if (call.params.switch('Passthru')) call.write(snapshotObject(vm, checkpoint));
    }
  },
};

function snapshotNotFound(call: CmdletCall, name?: string): void {
  call.writeError({ message: 'Unable to find a snapshot matching the given criteria.', fullyQualifiedErrorId: `ObjectNotFound,${cmdletClass(call.name)}`, category: 'ObjectNotFound', ...(name !== undefined ? { targetObject: name } : {}), exceptionType: VIRTUALIZATION_EXCEPTION });
}

/** Checkpoints selected by -VMSnapshot objects, or by VM (name/object) and optional -Name (wildcards allowed). */
function targetSnapshots(call: CmdletCall, nameRequired: boolean, reportMissing = true): Array<{ vm: VmState; checkpointId: string }> {
  const objects = call.params.has('VMSnapshot') ? [call.params.get('VMSnapshot') ?? null].flat() : call.hasPipelineInput && call.input.every((item) => item instanceof PsObject && item.native?.kind === 'snapshot') ? [...call.input] : undefined;
  const result: Array<{ vm: VmState; checkpointId: string }> = [];
  if (objects !== undefined) {
    for (const object of objects) {
      const native = object instanceof PsObject ? object.native : undefined;
      const vm = native?.kind === 'snapshot' ? call.host.vms.find((candidate) => candidate.id === native.vmId) : undefined;
      if (native?.kind === 'snapshot' && vm?.checkpoints.some((checkpoint) => checkpoint.id === native.checkpointId)) result.push({ vm, checkpointId: native.checkpointId });
      else snapshotNotFound(call);
    }
    return result;
  }
  const names = call.params.strings('Name');
  if (nameRequired && names === undefined) {
    call.terminate({ message: 'Cannot process command because of one or more missing mandatory parameters: Name.', fullyQualifiedErrorId: `MissingMandatoryParameter,${cmdletClass(call.name)}`, category: 'InvalidArgument', exceptionType: 'System.Management.Automation.ParameterBindingException' });
  }
  for (const vm of targetVms(call, 'VMName')) {
    if (names === undefined) {
      for (const checkpoint of vm.checkpoints) result.push({ vm, checkpointId: checkpoint.id });
      continue;
    }
    for (const name of names) {
      const regex = hasWildcards(name) ? wildcardToRegExp(name) : undefined;
      const matches = vm.checkpoints.filter((checkpoint) => (regex ? regex.test(checkpoint.name) : checkpoint.name.toLowerCase() === name.toLowerCase()));
      if (matches.length === 0 && !regex && reportMissing) snapshotNotFound(call, name);
      for (const checkpoint of matches) result.push({ vm, checkpointId: checkpoint.id });
    }
  }
  return result;
}

const snapshotSelection: ParameterDefinition[] = [
  { name: 'VMName', type: 'strings', position: 0, mandatory: ['VMName'], sets: ['VMName'] },
  { name: 'VM', type: 'any', mandatory: ['VMObject'], sets: ['VMObject'] },
  { name: 'VMSnapshot', type: 'any', mandatory: ['SnapshotObject'], sets: ['SnapshotObject'], fromPipeline: true, aliases: ['VMCheckpoint'] },
  { name: 'Name', type: 'strings', position: 1, sets: ['VMName', 'VMObject'] },
  { name: 'Passthru', type: 'switch' },
  { name: 'ComputerName', type: 'strings' },
];

const getVmSnapshot: CmdletDefinition = {
  name: 'Get-VMSnapshot',
  defaultSet: 'VMName',
  parameters: [
    { name: 'VMName', type: 'strings', position: 0, mandatory: ['VMName'], sets: ['VMName'] },
    { name: 'VM', type: 'any', position: 0, mandatory: ['VMObject'], sets: ['VMObject'], fromPipeline: true },
    { name: 'Name', type: 'strings', position: 1 },
    { name: 'SnapshotType', type: 'string' },
    { name: 'ComputerName', type: 'strings' },
  ],
  invoke(call) {
    for (const { vm, checkpointId } of targetSnapshots(call, false)) call.write(snapshotObject(vm, vm.checkpoints.find((checkpoint) => checkpoint.id === checkpointId)!));
  },
};

const restoreVmSnapshot: CmdletDefinition = {
  name: 'Restore-VMSnapshot',
  defaultSet: 'VMName',
  parameters: snapshotSelection,
  shouldProcess: 'high',
  invoke(call) {
    const selected = targetSnapshots(call, !call.params.has('VMSnapshot') && !call.hasPipelineInput);
    const seen = new Set<VmState>();
    for (const { vm, checkpointId } of selected) {
      if (seen.has(vm)) continue;
      seen.add(vm);
      const checkpoint = vm.checkpoints.find((candidate) => candidate.id === checkpointId)!;
      // Applying a checkpoint replaces the configuration and leaves the VM off (production checkpoints).
      Object.assign(vm, structuredClone(checkpoint.configuration));
      turnOff(vm);
      vm.parentCheckpointId = checkpoint.id;
      if (call.params.switch('Passthru')) call.write(snapshotObject(vm, checkpoint));
    }
  },
};

const removeVmSnapshot: CmdletDefinition = {
  name: 'Remove-VMSnapshot',
  defaultSet: 'VMName',
  parameters: [...snapshotSelection, { name: 'IncludeAllChildSnapshots', type: 'switch' }],
  shouldProcess: 'low',
  invoke(call) {
    // Hyper-V's Remove-VMSnapshot answers the same whether or not a checkpoint of that name exists.
    for (const { vm, checkpointId } of targetSnapshots(call, false, false)) {
      const checkpoint = vm.checkpoints.find((candidate) => candidate.id === checkpointId);
      if (!checkpoint) continue;
      const doomed = new Set([checkpoint.id]);
      if (call.params.switch('IncludeAllChildSnapshots')) {
        let grew = true;
        while (grew) {
          grew = false;
          for (const candidate of vm.checkpoints) {
            if (candidate.parentCheckpointId && doomed.has(candidate.parentCheckpointId) && !doomed.has(candidate.id)) {
              doomed.add(candidate.id);
              grew = true;
            }
          }
        }
      }
      const survivingParent = (id: string | null): string | null => {
        let current = id;
        while (current && doomed.has(current)) current = vm.checkpoints.find((candidate) => candidate.id === current)?.parentCheckpointId ?? null;
        return current;
      };
      for (const candidate of vm.checkpoints) candidate.parentCheckpointId = survivingParent(candidate.parentCheckpointId);
      vm.parentCheckpointId = survivingParent(vm.parentCheckpointId);
      vm.checkpoints = vm.checkpoints.filter((candidate) => !doomed.has(candidate.id));
    }
  },
};

const getVmSwitch: CmdletDefinition = {
  name: 'Get-VMSwitch',
  parameters: [{ name: 'Name', type: 'strings', position: 0, aliases: ['SwitchName'] }, { name: 'SwitchType', type: 'enum', values: ['External', 'Internal', 'Private'] }, { name: 'ComputerName', type: 'strings' }],
  invoke(call) {
    const names = call.params.strings('Name');
    const type = call.params.string('SwitchType');
    const switches = call.host.switches.filter((entry) => type === undefined || entry.switchType === type);
    if (names === undefined) {
      for (const entry of switches) call.write(switchObject(entry));
      return;
    }
    for (const name of names) {
      const regex = hasWildcards(name) ? wildcardToRegExp(name) : undefined;
      const matches = switches.filter((entry) => (regex ? regex.test(entry.name) : entry.name.toLowerCase() === name.toLowerCase()));
      if (matches.length === 0 && !regex) switchNotFound(call, name);
      for (const entry of matches) call.write(switchObject(entry));
    }
  },
};

export const HYPERV_CMDLETS: readonly CmdletDefinition[] = [
  getVm, newVm, setVm, startVmCmdlet, stopVm, restartVm, suspendVm, resumeVm, removeVm, setVmProcessor, getVmProcessor, setVmMemory, getVmMemory, setVmFirmware, getVmFirmware,
  getVmNetworkAdapter, addVmNetworkAdapter, removeVmNetworkAdapter, setVmNetworkAdapter, connectVmNetworkAdapter, disconnectVmNetworkAdapter,
  setVmNetworkAdapterVlan, getVmNetworkAdapterVlan, addVmDvdDrive, setVmDvdDrive, getVmDvdDrive, addVmHardDiskDrive, getVmHardDiskDrive, newVhd, getVhd,
  checkpointVm, getVmSnapshot, restoreVmSnapshot, removeVmSnapshot, getVmSwitch,
];
