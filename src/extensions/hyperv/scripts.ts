/**
 * The PowerShell the extension sends, one script per action (create: one script, plus one more only to undo
 * a failure). Every script runs inside the same envelope: `$ErrorActionPreference = 'Stop'` so any failure
 * jumps to the catch, a `$steps` list of the side effects done so far, and a single JSON line as the last
 * output (`ok`, `steps`, `result`, `error`, `errorId`). Missing VMs are found structurally
 * (`Get-VM -ErrorAction SilentlyContinue` → empty list), never by matching English error text.
 * Every value is interpolated through `ps`/`psString` (see powershell-literal.ts).
 */
import type { CreateConfig } from './config.ts';
import { ps, psLines, psString, psStringArray } from './powershell-literal.ts';
import type { PsCode } from './powershell-literal.ts';

export const JSON_DEPTH = 6;

export function envelope(body: PsCode): PsCode {
  return ps`$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$steps = @()
$result = $null
try {
${body}
  [pscustomobject]@{ ok = $true; steps = $steps; result = $result } | ConvertTo-Json -Compress -Depth ${JSON_DEPTH}
} catch {
  [pscustomobject]@{ ok = $false; steps = $steps; result = $result; error = $_.Exception.Message; errorId = $_.FullyQualifiedErrorId } | ConvertTo-Json -Compress -Depth ${JSON_DEPTH}
  exit 1
}`;
}

/** The VM an action addresses: its name, and the name the reference extension gave it (the bare internal name). */
export interface VmTarget {
  name: string;
  legacyName?: string;
}

/**
 * `$vms` = every VM with exactly this name (Hyper-V allows duplicates; callers insist on one). A VM created by
 * the reference extension carries the bare internal name; it is found under that name when ours is absent.
 */
function lookup(target: VmTarget): PsCode {
  const primary = ps`$vms = @(Get-VM -Name ${psString(target.name)} -ErrorAction SilentlyContinue)`;
  if (target.legacyName === undefined) return primary;
  return ps`${primary}
if ($vms.Count -eq 0) { $vms = @(Get-VM -Name ${psString(target.legacyName)} -ErrorAction SilentlyContinue) }`;
}

export interface CreateScriptInput {
  vmName: string;
  /** Written to the VM's Notes: ties the VM to its CloudStack UUID and to this invocation. */
  ownershipTag: string;
  config: CreateConfig;
}

export function createScript({ vmName, ownershipTag, config }: CreateScriptInput): PsCode {
  const name = psString(vmName);
  const vhd = psString(config.vhdPath);
  const switchName = psString(config.switchName);
  const checks = [
    ps`if (@(Get-VM -Name ${name} -ErrorAction SilentlyContinue).Count -gt 0) { throw ${psString(`A virtual machine named '${vmName}' already exists on the Hyper-V host`)} }`,
    ps`if (Test-Path -LiteralPath ${vhd}) { throw ${psString(`The disk '${config.vhdPath}' already exists on the Hyper-V host; refusing to overwrite it`)} }`,
    ps`if (@(Get-VMSwitch -Name ${switchName} -ErrorAction SilentlyContinue).Count -eq 0) { throw ${psString(`Network switch '${config.switchName}' not found on the Hyper-V host`)} }`,
  ];
  const newVm =
    config.source.kind === 'template'
      ? [
          ps`if (-not (Test-Path -LiteralPath ${psString(config.source.templatePath)} -PathType Leaf)) { throw ${psString(`Template file '${config.source.templatePath}' not found on the Hyper-V host`)} }`,
          // Marked before the copy: the precheck proved nothing was at this path, so whatever is there after a failure is ours.
          ps`$steps += 'disk'`,
          ps`Copy-Item -LiteralPath ${psString(config.source.templatePath)} -Destination ${vhd}`,
          ps`$vm = New-VM -Name ${name} -MemoryStartupBytes ${config.memoryBytes} -Generation ${config.generation} -Path ${psString(config.vmDirectory)} -VHDPath ${vhd}`,
        ]
      : [
          ps`if (-not (Test-Path -LiteralPath ${psString(config.source.isoPath)} -PathType Leaf)) { throw ${psString(`ISO file '${config.source.isoPath}' not found on the Hyper-V host`)} }`,
          ps`$steps += 'disk'`,
          ps`$vm = New-VM -Name ${name} -MemoryStartupBytes ${config.memoryBytes} -Generation ${config.generation} -Path ${psString(config.vmDirectory)} -NewVHDPath ${vhd} -NewVHDSizeBytes ${config.source.diskBytes}`,
        ];
  const configure = [
    ps`$result = [pscustomobject]@{ id = $vm.Id.ToString() }`,
    ps`$steps += 'vm'`,
    ps`Set-VM -VM $vm -Notes ${psString(ownershipTag)}`,
    ...(config.source.kind === 'iso'
      ? [
          ps`$dvd = @(Get-VMDvdDrive -VM $vm)`,
          ps`if ($dvd.Count -gt 0) { Set-VMDvdDrive -VMName ${name} -ControllerNumber $dvd[0].ControllerNumber -ControllerLocation $dvd[0].ControllerLocation -Path ${psString(config.source.isoPath)} } else { Add-VMDvdDrive -VM $vm -Path ${psString(config.source.isoPath)} }`,
        ]
      : []),
    // New-VM adds a default adapter; CloudStack's NICs replace it.
    ps`Get-VMNetworkAdapter -VM $vm | Remove-VMNetworkAdapter`,
    ps`Set-VMProcessor -VM $vm -Count ${config.cpus}`,
    ...(config.generation === 2 ? [ps`Set-VMFirmware -VM $vm -EnableSecureBoot Off`] : []),
    ...config.nics.flatMap((nic) => [
      ps`Add-VMNetworkAdapter -VM $vm -Name ${psString(nic.name)} -SwitchName ${switchName} -StaticMacAddress ${psString(nic.mac)}`,
      ...(nic.vlan !== undefined ? [ps`Set-VMNetworkAdapterVlan -VM $vm -VMNetworkAdapterName ${psString(nic.name)} -Access -VlanId ${nic.vlan}`] : []),
    ]),
    ps`Start-VM -VM $vm`,
    ps`$steps += 'started'`,
  ];
  return envelope(psLines([...checks, ...newVm, ...configure]));
}

/** Undoes what a failed create reported as done: the VM by its Id, the disk by its path. */
export function undoCreateScript(input: { vmId?: string; vhdPath?: string }): PsCode {
  const parts: PsCode[] = [ps`$problems = @()`];
  if (input.vmId !== undefined) {
    parts.push(ps`try {
  $v = @(Get-VM -Id ${psString(input.vmId)} -ErrorAction SilentlyContinue)
  foreach ($x in $v) {
    if ($x.State.ToString() -ne 'Off') { Stop-VM -VM $x -TurnOff -Force }
    Remove-VM -VM $x -Force
  }
  $steps += 'vm-removed'
} catch { $problems += $_.Exception.Message }`);
  }
  if (input.vhdPath !== undefined) {
    parts.push(ps`try {
  if (Test-Path -LiteralPath ${psString(input.vhdPath)}) { Remove-Item -LiteralPath ${psString(input.vhdPath)} -Force }
  $steps += 'disk-removed'
} catch { $problems += $_.Exception.Message }`);
  }
  parts.push(ps`$result = [pscustomobject]@{ problems = $problems }`);
  return envelope(psLines(parts));
}

/**
 * Cleanup when a create's outcome is unknown (the connection failed mid-script): only a VM carrying this
 * invocation's ownership tag is ours, and only then is the disk at our path ours too.
 */
export function undoUnknownCreateScript(input: { vmName: string; ownershipTag: string; vhdPath: string }): PsCode {
  return envelope(ps`$problems = @()
$mine = @(Get-VM -Name ${psString(input.vmName)} -ErrorAction SilentlyContinue | Where-Object { $_.Notes -eq ${psString(input.ownershipTag)} })
foreach ($x in $mine) {
  try {
    if ($x.State.ToString() -ne 'Off') { Stop-VM -VM $x -TurnOff -Force }
    Remove-VM -VM $x -Force
    $steps += 'vm-removed'
  } catch { $problems += $_.Exception.Message }
}
if ($mine.Count -gt 0) {
  try {
    if (Test-Path -LiteralPath ${psString(input.vhdPath)}) { Remove-Item -LiteralPath ${psString(input.vhdPath)} -Force; $steps += 'disk-removed' }
  } catch { $problems += $_.Exception.Message }
}
$result = [pscustomobject]@{ problems = $problems }`);
}

export type PowerAction = 'start' | 'stop' | 'reboot' | 'suspend' | 'resume';

const POWER_COMMANDS: Record<PowerAction, PsCode> = {
  // Start resumes a paused VM and leaves a running one alone, so a retried start succeeds.
  start: ps`if ($state -eq 'Paused') { Resume-VM -VM $vm } elseif ($state -ne 'Running') { Start-VM -VM $vm }`,
  // Guest shutdown first; a guest that cannot shut down (no integration services) is turned off.
  stop: ps`if ($state -eq 'Running') { try { Stop-VM -VM $vm -Force } catch { Stop-VM -VM $vm -TurnOff -Force } } elseif ($state -ne 'Off') { Stop-VM -VM $vm -TurnOff -Force }`,
  reboot: ps`Restart-VM -VM $vm -Force`,
  suspend: ps`Suspend-VM -VM $vm`,
  resume: ps`Resume-VM -VM $vm`,
};

/** Runs the power command only when exactly one VM has the name; reports how many were found. */
export function powerScript(target: VmTarget, action: PowerAction): PsCode {
  return envelope(ps`${lookup(target)}
$result = [pscustomobject]@{ found = $vms.Count }
if ($vms.Count -eq 1) {
  $vm = $vms[0]
  $state = $vm.State.ToString()
  ${POWER_COMMANDS[action]}
  $steps += ${psString(action)}
}`);
}

export function statusScript(target: VmTarget): PsCode {
  return envelope(ps`${lookup(target)}
$result = [pscustomobject]@{ found = $vms.Count; states = @($vms | ForEach-Object { $_.State.ToString() }) }`);
}

export function statusesScript(): PsCode {
  return envelope(ps`$result = [pscustomobject]@{ vms = @(Get-VM | Select-Object Name, @{ Name = 'State'; Expression = { $_.State.ToString() } }) }`);
}

/**
 * Deletes the VM (turned off first so its disk is released) and the disk create made for it: an attached
 * disk whose file name is `<vm name>.vhdx`, and that path under vhd_path when given (a disk left by an
 * earlier failed delete).
 */
export function deleteScript(target: VmTarget, vhdPath: string | undefined): PsCode {
  const ownDisks = psStringArray([target.name, ...(target.legacyName !== undefined ? [target.legacyName] : [])].map((name) => `${name}.vhdx`));
  return envelope(ps`${lookup(target)}
$removed = @()
foreach ($v in $vms) {
  $disks = @(Get-VMHardDiskDrive -VM $v | Select-Object -ExpandProperty Path)
  if ($v.State.ToString() -ne 'Off') { Stop-VM -VM $v -TurnOff -Force }
  Remove-VM -VM $v -Force
  $steps += 'vm'
  foreach ($d in $disks) {
    if ($d -and (${ownDisks} -contains [System.IO.Path]::GetFileName($d)) -and (Test-Path -LiteralPath $d)) { Remove-Item -LiteralPath $d -Force; $removed += $d }
  }
}
${vhdPath !== undefined ? ps`if (Test-Path -LiteralPath ${psString(vhdPath)}) { Remove-Item -LiteralPath ${psString(vhdPath)} -Force; $removed += ${psString(vhdPath)} }` : ps``}
$result = [pscustomobject]@{ found = $vms.Count; disks = $removed }`);
}

export function listSnapshotsScript(target: VmTarget): PsCode {
  return envelope(ps`${lookup(target)}
$snapshots = @()
if ($vms.Count -eq 1) {
  $snapshots = @(Get-VMSnapshot -VM $vms[0] | Sort-Object CreationTime | Select-Object Name, @{ Name = 'CreationTime'; Expression = { $_.CreationTime.ToString('s') } })
}
$result = [pscustomobject]@{ found = $vms.Count; snapshots = $snapshots }`);
}

export type SnapshotAction = 'create' | 'restore' | 'delete';

export function snapshotScript(target: VmTarget, snapshotName: string, action: SnapshotAction): PsCode {
  const snap = psString(snapshotName);
  const command =
    action === 'create'
      ? ps`if ($existing.Count -gt 0) { throw ${psString(`Snapshot '${snapshotName}' already exists`)} }
  Checkpoint-VM -VM $vms[0] -SnapshotName ${snap}`
      : ps`if ($existing.Count -eq 0) { throw ${psString(`Snapshot '${snapshotName}' not found`)} }
  ${action === 'restore' ? ps`Restore-VMSnapshot -VMSnapshot $existing[0] -Confirm:$false` : ps`Remove-VMSnapshot -VMSnapshot $existing[0] -Confirm:$false`}`;
  return envelope(ps`${lookup(target)}
$result = [pscustomobject]@{ found = $vms.Count }
if ($vms.Count -eq 1) {
  $existing = @(Get-VMSnapshot -VM $vms[0] -Name ${snap} -ErrorAction SilentlyContinue)
  ${command}
  $steps += ${psString(action)}
}`);
}
