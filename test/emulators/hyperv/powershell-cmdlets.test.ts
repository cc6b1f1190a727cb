import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { createHyperVHost, restoreHyperVHost, snapshotHyperVHost } from '../../../src/emulators/hyperv/host-state.ts';
import type { HyperVHost } from '../../../src/emulators/hyperv/host-state.ts';
import { runPowerShell } from '../../../src/emulators/hyperv/powershell/index.ts';

const VHD_DIR = 'C:\\ProgramData\\Microsoft\\Windows\\Virtual Hard Disks';
const TEMPLATE = 'C:\\Templates\\ubuntu-24.04.vhdx';
const ISO = 'C:\\ISO\\ubuntu-24.04-live-server-amd64.iso';

describe('PowerShell interpreter: Hyper-V cmdlets', () => {
  let host: HyperVHost;
  const ps = (script: string) => runPowerShell(host, script);
  const ok = async (script: string) => {
    const outcome = await ps(script);
    assert.deepEqual(outcome.errors, [], `errors from: ${script}`);
    assert.equal(outcome.exitCode, 0);
    return outcome.stdout;
  };
  const json = async (script: string): Promise<unknown> => JSON.parse(await ok(script));
  const vm = (name: string) => host.vms.find((candidate) => candidate.name === name);

  beforeEach(() => {
    host = createHyperVHost();
  });

  it('creates a generation 2 VM from a copied template, configures and starts it', async () => {
    await ok(`Copy-Item -Path '${TEMPLATE}' -Destination '${VHD_DIR}\\a.vhdx'; New-VM -Name 'a' -MemoryStartupBytes 2048MB -Generation 2 -Path 'C:\\VMs' -VHDPath '${VHD_DIR}\\a.vhdx' | Out-Null`);
    await ok(`Remove-VMNetworkAdapter -VMName 'a' -Name 'Network Adapter' -ErrorAction SilentlyContinue; Set-VMProcessor -VMName 'a' -Count 2; Set-VMFirmware -VMName 'a' -EnableSecureBoot Off`);
    await ok(`Add-VMNetworkAdapter -VMName 'a' -SwitchName 'ExternalSwitch' -Name 'NIC1' -StaticMacAddress '02:01:00:cc:00:01'; Set-VMNetworkAdapterVlan -VMName 'a' -VMNetworkAdapterName 'NIC1' -Access -VlanId 1577; Start-VM -Name 'a'`);
    const created = vm('a')!;
    assert.equal(created.state, 'Running');
    assert.equal(created.generation, 2);
    assert.equal(created.memoryStartupBytes, 2048 * 1024 * 1024);
    assert.equal(created.processorCount, 2);
    assert.equal(created.secureBoot, false);
    assert.equal(created.path, 'C:\\VMs\\a');
    assert.deepEqual(created.networkAdapters.map((adapter) => [adapter.name, adapter.macAddress, adapter.vlanMode, adapter.accessVlanId, adapter.switchName]), [['NIC1', '020100CC0001', 'Access', 1577, 'ExternalSwitch']]);
    assert.deepEqual(created.hardDrives.map((drive) => drive.path), [`${VHD_DIR}\\a.vhdx`]);
  });

  it('creates an ISO VM with a new VHD and a DVD drive', async () => {
    await ok(`New-VM -Name 'b' -MemoryStartupBytes 512MB -Generation 1 -NewVHDPath '${VHD_DIR}\\b.vhdx' -NewVHDSizeBytes 40GB | Out-Null; Set-VMDvdDrive -VMName 'b' -Path '${ISO}'`);
    assert.equal(host.files[`${VHD_DIR}\\b.vhdx`.toLowerCase()]?.sizeBytes, 40 * 1024 ** 3);
    assert.equal(vm('b')!.dvdDrives[0]?.path, ISO);
    await ok(`New-VM -Name 'c' -Generation 2 -NoVHD | Out-Null; Add-VMDvdDrive -VMName 'c' -Path '${ISO}'`);
    assert.deepEqual(vm('c')!.dvdDrives.map((drive) => [drive.controllerType, drive.path]), [['SCSI', ISO]]);
  });

  it('refuses memory that is not a multiple of 2 MB and creates nothing', async () => {
    const outcome = await ps("New-VM -Name 'm' -MemoryStartupBytes 513MB -NoVHD");
    assert.equal(outcome.exitCode, 1);
    assert.match(outcome.errors[0]!.message, /multiple of 2 MB/);
    assert.equal(host.vms.length, 0);
    await ok("New-VM -Name 'm' -MemoryStartupBytes 512MB -NoVHD | Out-Null");
    const memory = await ps("Set-VMMemory -VMName 'm' -StartupBytes 1001MB");
    assert.match(memory.errors[0]!.message, /multiple of 2 MB/);
    await ok("Set-VMMemory -VMName 'm' -StartupBytes 1024MB");
    assert.equal(vm('m')!.memoryStartupBytes, 1024 * 1024 * 1024);
    assert.equal(await ok("(Get-VMMemory -VMName 'm').Startup / 1MB; Set-VMProcessor 'm' -Count 3; (Get-VMProcessor -VMName 'm').Count"), '1024\r\n3\r\n');
  });

  it('resolves New-VM parameter sets and reports missing mandatory parameters', async () => {
    const ambiguous = await ps(`New-VM -Name 'x' -NoVHD -VHDPath '${TEMPLATE}'`);
    assert.equal(ambiguous.errors[0]?.fullyQualifiedErrorId, 'AmbiguousParameterSet,Microsoft.HyperV.PowerShell.Commands.NewVM');
    const missing = await ps(`New-VM -Name 'x' -NewVHDPath '${VHD_DIR}\\x.vhdx'`);
    assert.equal(missing.errors[0]?.fullyQualifiedErrorId, 'MissingMandatoryParameter,Microsoft.HyperV.PowerShell.Commands.NewVM');
    assert.match(missing.errors[0]!.message, /NewVHDSizeBytes/);
    assert.equal(host.vms.length, 0);
  });

  it('reports a missing VM with Hyper-V\'s message and id; SilentlyContinue returns $null', async () => {
    for (const cmdlet of ['Get-VM -Name', 'Start-VM -Name', 'Stop-VM -Force -Name', 'Remove-VM -Force -Name', 'Set-VMProcessor -Count 2 -VMName', 'Get-VMSnapshot -VMName']) {
      const outcome = await ps(`${cmdlet} 'ghost'`);
      assert.equal(outcome.exitCode, 1, cmdlet);
      assert.equal(outcome.errors[0]?.message, 'Hyper-V was unable to find a virtual machine with name "ghost".', cmdlet);
      assert.match(outcome.errors[0]!.fullyQualifiedErrorId, /^InvalidParameter,Microsoft\.HyperV\.PowerShell\.Commands\./);
      assert.equal(outcome.errors[0]?.category, 'InvalidArgument');
      assert.equal(outcome.errors[0]?.targetObject, 'ghost');
    }
    const silent = await ps("$vm = Get-VM -Name 'ghost' -ErrorAction SilentlyContinue; $null -eq $vm; @(Get-VM -Name 'ghost' -ErrorAction SilentlyContinue).Count");
    assert.deepEqual(silent.errors, []);
    assert.equal(silent.stdout, 'True\r\n0\r\n');
    // $? is false after a statement that wrote an error, even a silenced one, so powershell.exe exits 1.
    assert.equal(silent.exitCode, 1);
    assert.equal(await ok("Get-VM -Name 'gh*'"), '');
  });

  it('enforces state rules: start twice, suspend an off VM, resume a running one, restart without -Force', async () => {
    await ok("New-VM -Name 's' -NoVHD | Out-Null; Start-VM 's'");
    const twice = await ps("Start-VM -Name 's'");
    assert.equal(twice.errors[0]?.fullyQualifiedErrorId, 'InvalidState,Microsoft.HyperV.PowerShell.Commands.StartVM');
    assert.equal(twice.errors[0]!.message, 'The operation cannot be performed while the virtual machine is in its current state.');
    assert.equal((await ps("Resume-VM -Name 's'")).exitCode, 1);
    await ok("Suspend-VM -Name 's'");
    assert.equal(vm('s')!.state, 'Paused');
    await ok("Resume-VM -Name 's'; Restart-VM -Name 's' -Force");
    assert.equal((await ps("Restart-VM -Name 's'")).errors[0]?.fullyQualifiedErrorId, 'HostException,Restart-VM');
    await ok("Stop-VM -Name 's' -Force");
    assert.equal(vm('s')!.state, 'Off');
    assert.equal((await ps("Suspend-VM -Name 's'")).exitCode, 1);
    await ok("Start-VM 's'; Stop-VM -Name 's' -TurnOff -Force; Stop-VM -Name 's' -Force");
  });

  it('reports State as the enum (name in text, number in JSON)', async () => {
    await ok("New-VM -Name 'e' -NoVHD | Out-Null; Start-VM -Name 'e'");
    assert.equal(await ok("(Get-VM -Name 'e').State"), 'Running\r\n');
    assert.deepEqual(await json("Get-VM -Name 'e' | Select-Object Name, State | ConvertTo-Json -Compress"), { Name: 'e', State: 2 });
    assert.deepEqual(await json("Get-VM | Select-Object Name, @{Name='State';Expression={$_.State.ToString()}} | ConvertTo-Json -Compress"), { Name: 'e', State: 'Running' });
  });

  it('takes VMs from the pipeline (-VM) and by -VMName', async () => {
    await ok("New-VM -Name 'p1' -NoVHD | Out-Null; New-VM -Name 'p2' -NoVHD | Out-Null; Get-VM | Start-VM");
    assert.deepEqual(host.vms.map((entry) => entry.state), ['Running', 'Running']);
    await ok("Get-VM -Name 'p1' | Stop-VM -Force; $v = Get-VM -Name 'p2'; Suspend-VM -VM $v");
    assert.deepEqual(host.vms.map((entry) => entry.state), ['Off', 'Paused']);
    const wrong = await ps("Start-VM -VM 'p1'");
    assert.match(wrong.errors[0]!.message, /Cannot bind parameter 'VM'/);
  });

  it('Remove-VM needs -Force or -Confirm:$false, removes the VM but leaves its disk', async () => {
    await ok(`New-VM -Name 'r' -NewVHDPath '${VHD_DIR}\\r.vhdx' -NewVHDSizeBytes 1GB | Out-Null; Start-VM -Name 'r'`);
    const prompt = await ps("Remove-VM -Name 'r'");
    assert.equal(prompt.errors[0]?.fullyQualifiedErrorId, 'HostException,Remove-VM');
    assert.equal(host.vms.length, 1);
    await ok("Remove-VM -Name 'r' -Confirm:$false");
    assert.equal(host.vms.length, 0);
    assert.equal(await ok(`Test-Path -Path '${VHD_DIR}\\r.vhdx'`), 'True\r\n');
    await ok(`Remove-Item -Path '${VHD_DIR}\\r.vhdx' -Force`);
    assert.equal(await ok(`Test-Path '${VHD_DIR}\\r.vhdx'`), 'False\r\n');
  });

  it('locks the disk of a running VM against Remove-Item and Copy-Item', async () => {
    await ok(`New-VM -Name 'l' -NewVHDPath '${VHD_DIR}\\l.vhdx' -NewVHDSizeBytes 1GB | Out-Null; Start-VM -Name 'l'`);
    const removal = await ps(`Remove-Item -Path '${VHD_DIR}\\l.vhdx' -Force`);
    assert.match(removal.errors[0]!.message, /being used by another process/);
    const overwrite = await ps(`Copy-Item '${TEMPLATE}' '${VHD_DIR}\\l.vhdx'`);
    assert.match(overwrite.errors[0]!.message, /being used by another process/);
  });

  it('file cmdlets: missing source, missing directory, Test-Path containers', async () => {
    const missing = await ps(`Copy-Item -Path 'C:\\nope.vhdx' -Destination '${VHD_DIR}\\x.vhdx'`);
    assert.equal(missing.errors[0]?.message, "Cannot find path 'C:\\nope.vhdx' because it does not exist.");
    assert.equal(missing.errors[0]?.fullyQualifiedErrorId, 'PathNotFound,Microsoft.PowerShell.Commands.CopyItemCommand');
    const noDir = await ps(`Copy-Item -Path '${TEMPLATE}' -Destination 'Z:\\missing\\x.vhdx'`);
    assert.match(noDir.errors[0]!.message, /Could not find a part of the path/);
    assert.equal(await ok(`Test-Path '${VHD_DIR}' -PathType Container; Test-Path '${TEMPLATE}' -PathType Container; Test-Path 'c:/templates/UBUNTU-24.04.vhdx'`), 'True\r\nFalse\r\nTrue\r\n');
    const remove = await ps("Remove-Item 'C:\\nope.vhdx'");
    assert.equal(remove.errors[0]?.fullyQualifiedErrorId, 'PathNotFound,Microsoft.PowerShell.Commands.RemoveItemCommand');
  });

  it('New-VHD creates dynamic disks and refuses existing files', async () => {
    const out = await json(`New-VHD -Path '${VHD_DIR}\\n.vhdx' -SizeBytes 20GB -Dynamic | Select-Object Path, Size | ConvertTo-Json -Compress`);
    assert.deepEqual(out, { Path: `${VHD_DIR}\\n.vhdx`, Size: 20 * 1024 ** 3 });
    const again = await ps(`New-VHD -Path '${VHD_DIR}\\n.vhdx' -SizeBytes 20GB -Dynamic`);
    assert.match(again.errors[0]!.message, /The file exists/);
  });

  it('Set-VMFirmware is for generation 2 only', async () => {
    await ok("New-VM -Name 'g1' -NoVHD | Out-Null");
    const outcome = await ps("Set-VMFirmware -VMName 'g1' -EnableSecureBoot Off");
    assert.equal(outcome.exitCode, 1);
    assert.match(outcome.errors[0]!.message, /not a generation 2 virtual machine/);
    const bad = await ps("New-VM -Name 'g2' -Generation 2 -NoVHD | Out-Null; Set-VMFirmware -VMName 'g2' -EnableSecureBoot Maybe");
    assert.equal(bad.errors[0]?.fullyQualifiedErrorId, 'ParameterArgumentValidationError,Microsoft.HyperV.PowerShell.Commands.SetVMFirmware');
  });

  it('validates processor counts, MAC addresses, VLAN ids and switch names', async () => {
    await ok("New-VM -Name 'v' -NoVHD | Out-Null");
    assert.equal((await ps("Set-VMProcessor -VMName 'v' -Count 99")).exitCode, 1);
    assert.equal((await ps("Add-VMNetworkAdapter -VMName 'v' -Name 'n' -StaticMacAddress 'zz:01:00:cc:00:01'")).exitCode, 1);
    assert.equal((await ps("Add-VMNetworkAdapter -VMName 'v' -Name 'n' -StaticMacAddress '01:00:5e:00:00:01'")).exitCode, 1);
    const noSwitch = await ps("Add-VMNetworkAdapter -VMName 'v' -Name 'n' -SwitchName 'Nope'");
    assert.equal(noSwitch.errors[0]?.message, 'Hyper-V was unable to find a virtual switch with name "Nope".');
    await ok("Add-VMNetworkAdapter -VMName 'v' -Name 'n' -SwitchName 'externalswitch'");
    assert.equal((await ps("Set-VMNetworkAdapterVlan -VMName 'v' -VMNetworkAdapterName 'n' -Access -VlanId 4095")).exitCode, 1);
    assert.equal((await ps("Set-VMNetworkAdapterVlan -VMName 'v' -VMNetworkAdapterName 'zz' -Access -VlanId 5")).exitCode, 1);
    await ok("Set-VMNetworkAdapter -VMName 'v' -Name 'n' -StaticMacAddress '00-15-5D-01-02-03'; Connect-VMNetworkAdapter -VMName 'v' -Name 'n' -SwitchName 'ExternalSwitch'");
    const adapters = await json("Get-VMNetworkAdapter -VMName 'v' | Select-Object Name, MacAddress, SwitchName | ConvertTo-Json -Compress");
    assert.deepEqual(adapters, [{ Name: 'Network Adapter', MacAddress: '000000000000', SwitchName: null }, { Name: 'n', MacAddress: '00155D010203', SwitchName: 'ExternalSwitch' }]);
    assert.deepEqual(await json("Get-VMSwitch | Select-Object Name, SwitchType | ConvertTo-Json -Compress"), { Name: 'ExternalSwitch', SwitchType: 2 });
  });

  it('checkpoints: create, list (none, one, several), restore, remove', async () => {
    await ok("New-VM -Name 'c' -NoVHD | Out-Null");
    assert.equal(await ok("Get-VMSnapshot -VMName 'c' | Select-Object Name | ConvertTo-Json"), '');
    await ok("Checkpoint-VM -Name 'c' -SnapshotName 'one'");
    await ok("Set-VMProcessor -VMName 'c' -Count 4; Checkpoint-VM -VMName 'c' -SnapshotName 'two'");
    const list = (await json("@(Get-VMSnapshot -VMName 'c' | Select-Object Name, @{Name='CreationTime';Expression={$_.CreationTime.ToString('s')}}) | ConvertTo-Json -Compress")) as Array<{ Name: string; CreationTime: string }>;
    assert.deepEqual(list.map((entry) => entry.Name), ['one', 'two']);
    assert.match(list[0]!.CreationTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    await ok("Restore-VMSnapshot -VMName 'c' -Name 'one' -Confirm:$false");
    assert.equal(vm('c')!.processorCount, 1);
    const missing = await ps("Restore-VMSnapshot -VMName 'c' -Name 'zzz' -Confirm:$false");
    assert.equal(missing.errors[0]?.message, 'Unable to find a snapshot matching the given criteria.');
    await ok("Remove-VMSnapshot -VMName 'c' -Name 'one' -Confirm:$false");
    assert.deepEqual(vm('c')!.checkpoints.map((checkpoint) => [checkpoint.name, checkpoint.parentCheckpointId]), [['two', null]]);
    // Like Hyper-V, removing a checkpoint that does not exist is not an error.
    await ok("Remove-VMSnapshot -VMName 'c' -Name 'never-existed'");
    await ok("Get-VMSnapshot -VMName 'c' | Remove-VMSnapshot");
    assert.equal(vm('c')!.checkpoints.length, 0);
  });

  it('state snapshots round-trip through JSON', async () => {
    await ok("New-VM -Name 'j' -NoVHD | Out-Null; Checkpoint-VM -Name 'j' -SnapshotName 's'");
    const restored = restoreHyperVHost(JSON.parse(JSON.stringify(snapshotHyperVHost(host))));
    assert.deepEqual(restored.vms, host.vms);
    assert.equal((await runPowerShell(restored, "(Get-VMSnapshot -VMName 'j').Name")).stdout, 's\r\n');
    assert.throws(() => restoreHyperVHost({ nope: true }), /Not a Hyper-V emulator state document/);
  });

  it('the command log records what ran, in order', async () => {
    await ok("Get-VM | Out-Null; Get-VMSwitch | Out-Null");
    assert.deepEqual(host.commandLog.slice(-4), ['Get-VM', 'Out-Null', 'Get-VMSwitch', 'Out-Null']);
  });

  it('drives: Add-VMHardDiskDrive, Get-VMHardDiskDrive, Get-VMDvdDrive, Get-VHD', async () => {
    await ok(`New-VM -Name 'd' -Generation 2 -NoVHD | Out-Null; New-VHD -Path '${VHD_DIR}\\d.vhdx' -SizeBytes 8GB | Out-Null; Add-VMHardDiskDrive -VMName 'd' -Path '${VHD_DIR}\\d.vhdx'; Add-VMDvdDrive -VMName 'd' -Path '${ISO}'`);
    assert.deepEqual(await json("Get-VMHardDiskDrive -VMName 'd' | Select-Object Path, ControllerNumber, ControllerLocation | ConvertTo-Json -Compress"), { Path: `${VHD_DIR}\\d.vhdx`, ControllerNumber: 0, ControllerLocation: 0 });
    assert.deepEqual(await json("Get-VMDvdDrive -VMName 'd' | Select-Object Path, ControllerLocation | ConvertTo-Json -Compress"), { Path: ISO, ControllerLocation: 1 });
    assert.deepEqual(await json(`Get-VHD -Path '${VHD_DIR}\\d.vhdx' | Select-Object Size, Attached | ConvertTo-Json -Compress`), { Size: 8 * 1024 ** 3, Attached: true });
    const missing = await ps("Add-VMHardDiskDrive -VMName 'd' -Path 'C:\\nope.vhdx'");
    assert.match(missing.errors[0]!.message, /cannot find the file specified/);
    assert.equal((await ps("Get-VHD -Path 'C:\\nope.vhdx'")).exitCode, 1);
  });

  it('adapters: Get-VMNetworkAdapterVlan, Disconnect-VMNetworkAdapter; firmware: Get-VMFirmware', async () => {
    await ok("New-VM -Name 'n' -Generation 2 -SwitchName 'ExternalSwitch' -NoVHD | Out-Null; Set-VMNetworkAdapterVlan -VMName 'n' -Access -VlanId 42");
    assert.deepEqual(await json("Get-VMNetworkAdapterVlan -VMName 'n' | Select-Object AccessVlanId, @{n='Mode';e={$_.OperationMode.ToString()}} | ConvertTo-Json -Compress"), { AccessVlanId: 42, Mode: 'Access' });
    await ok("Disconnect-VMNetworkAdapter -VMName 'n'");
    assert.equal(vm('n')!.networkAdapters[0]!.switchName, null);
    assert.equal(await ok("(Get-VMFirmware -VMName 'n').SecureBoot"), 'On\r\n');
  });

  it('utility cmdlets: ConvertFrom-Json, Sort-Object, Get-Date, Join-Path, New-Item, Start-Sleep, Write-Host/Warning, quiet streams', async () => {
    assert.equal(await ok(`('{"a":[3,1,2]}' | ConvertFrom-Json).a | Sort-Object -Descending`), '3\r\n2\r\n1\r\n');
    assert.match(await ok("Get-Date -Format 's'"), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\r\n$/);
    assert.equal(await ok("Join-Path 'C:\\VMs\\' 'x.vhdx'"), 'C:\\VMs\\x.vhdx\r\n');
    await ok("New-Item -ItemType Directory -Path 'E:\\Disks' | Out-Null; Start-Sleep -Seconds 30");
    assert.equal(await ok("Test-Path 'E:\\Disks' -PathType Container"), 'True\r\n');
    assert.equal(await ok("Write-Host 'to' 'host'; Write-Warning 'careful'; Write-Verbose 'v'; Write-Debug 'd'; Write-Information 'i'"), 'to host\r\nWARNING: careful\r\n');
    const bad = await ps("'not json' | ConvertFrom-Json");
    assert.equal(bad.errors[0]?.fullyQualifiedErrorId, 'System.ArgumentException,Microsoft.PowerShell.Commands.ConvertFromJsonCommand');
  });
});
