import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { createHyperVHost } from '../../../src/emulators/hyperv/host-state.ts';
import type { HyperVHost } from '../../../src/emulators/hyperv/host-state.ts';
import { runPowerShell } from '../../../src/emulators/hyperv/powershell/index.ts';
import { ps, psString, UnsafeValueError } from '../../../src/extensions/hyperv/powershell-literal.ts';
import type { PsCode } from '../../../src/extensions/hyperv/powershell-literal.ts';
import { createScript, deleteScript, listSnapshotsScript, powerScript, snapshotScript, statusScript } from '../../../src/extensions/hyperv/scripts.ts';

/** Values built to break out of a PowerShell string in every way we know. */
const HOSTILE = [
  '$(Stop-Computer -Force)',
  '"; Remove-VM -Name * -Force; "',
  "'; Remove-VM -Name victim -Force; '",
  '`"; Remove-VM victim -Force #',
  '\u2019; Remove-VM -Name victim -Force; \u2018',
  '\u201b\u201a; Remove-VM victim -Force; \u201b',
  "''; Remove-VM victim -Force; ''",
  '${Remove-VM victim}',
  '@(Remove-VM victim)',
  '$null; Stop-Computer',
  '| Remove-VM',
  '& Remove-VM victim',
];

describe('safe PowerShell literals', () => {
  let host: HyperVHost;
  beforeEach(async () => {
    host = createHyperVHost();
    await runPowerShell(host, "New-VM -Name 'victim' -NoVHD | Out-Null; Start-VM -Name 'victim'");
  });

  const run = async (script: PsCode) => runPowerShell(host, script.text);
  const victimIntact = () => {
    const victim = host.vms.find((vm) => vm.name === 'victim');
    assert.ok(victim, 'the victim VM must survive');
    assert.equal(victim.state, 'Running');
  };

  it('round-trips every hostile value through a single-quoted literal and runs nothing else', async () => {
    for (const value of HOSTILE) {
      const outcome = await run(ps`Write-Output ${psString(value)}`);
      assert.deepEqual(outcome.commandsRun, ['Write-Output'], value);
      assert.equal(outcome.stdout, `${value}\r\n`, value);
    }
    victimIntact();
  });

  it('doubles ASCII and Unicode single quotes and leaves everything else as is', () => {
    assert.equal(psString("it's").text, "'it''s'");
    assert.equal(psString('a\u2018b\u2019c\u201ad\u201be').text, "'a\u2018\u2018b\u2019\u2019c\u201a\u201ad\u201b\u201be'");
    assert.equal(psString('$x `n "q"').text, `'$x \`n "q"'`);
  });

  it('refuses control characters (newlines would end a statement) and raw strings in templates', () => {
    for (const value of ['a\nRemove-VM *', 'a\rb', 'a\u0000b', 'a\u2028b', 'a\u0085b']) assert.throws(() => psString(value), UnsafeValueError);
    const raw = 'Remove-VM *' as unknown as PsCode;
    assert.throws(() => ps`Get-VM -Name ${raw}`, UnsafeValueError);
    assert.throws(() => ps`Set-VMProcessor -Count ${1.5}`, UnsafeValueError);
  });

  it('hostile snapshot names only ever reach Checkpoint-VM as a name', async () => {
    await runPowerShell(host, "New-VM -Name 'vm' -NoVHD | Out-Null");
    for (const value of HOSTILE) {
      const outcome = await run(snapshotScript({ name: 'vm' }, value, 'create'));
      assert.equal(outcome.exitCode, 0, `${value}: ${outcome.stdout}`);
      assert.deepEqual(new Set(outcome.commandsRun), new Set(['Get-VM', 'Get-VMSnapshot', 'Checkpoint-VM', 'ConvertTo-Json']), value);
    }
    assert.deepEqual(host.vms.find((vm) => vm.name === 'vm')!.checkpoints.map((checkpoint) => checkpoint.name), HOSTILE);
    for (const action of ['restore', 'delete'] as const) {
      for (const value of HOSTILE) {
        const outcome = await run(snapshotScript({ name: 'vm', legacyName: 'vm-legacy' }, value, action));
        assert.equal(outcome.exitCode, 0, value);
        assert.ok(!outcome.commandsRun.includes('Remove-VM') && !outcome.commandsRun.includes('Stop-Computer'), value);
      }
    }
    victimIntact();
  });

  it('hostile VM names look up nothing and touch nothing', async () => {
    for (const value of HOSTILE) {
      for (const script of [statusScript({ name: value }), powerScript({ name: value, legacyName: value }, 'stop'), deleteScript({ name: value, legacyName: `${value}x` }, undefined), listSnapshotsScript({ name: value })]) {
        const outcome = await run(script);
        assert.ok(!outcome.commandsRun.some((command) => ['Remove-VM', 'Stop-VM', 'Stop-Computer'].includes(command)), `${value}: ${outcome.commandsRun.join(',')}`);
      }
    }
    victimIntact();
  });

  it('hostile paths and switch names in create fail inside the intended cmdlets and leave the host as it was', async () => {
    for (const value of HOSTILE) {
      const before = JSON.stringify(host.vms);
      const files = Object.keys(host.files).length;
      const outcome = await run(
        createScript({
          vmName: 'new-vm',
          ownershipTag: 'tag',
          config: {
            generation: 2, memoryBytes: 512 * 1024 * 1024, cpus: 1, switchName: value, vhdDirectory: 'C:\\Disks', vmDirectory: 'C:\\VMs', vhdPath: `C:\\Disks\\${value}.vhdx`,
            source: { kind: 'template', templatePath: `C:\\Templates\\${value}` }, nics: [{ name: 'NIC1', mac: '020100CC0001', vlan: 5 }],
          },
        }),
      );
      assert.equal(outcome.exitCode, 1, value);
      assert.ok(outcome.commandsRun.every((command) => ['Get-VM', 'Test-Path', 'Get-VMSwitch', 'ConvertTo-Json'].includes(command)), `${value}: ${outcome.commandsRun.join(',')}`);
      assert.equal(JSON.stringify(host.vms), before);
      assert.equal(Object.keys(host.files).length, files);
    }
    victimIntact();
  });
});
