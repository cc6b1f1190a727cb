import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHyperVHost } from '../../../src/emulators/hyperv/host-state.ts';
import { INTERNAL_ERROR_ID, runPowerShell, supportedCmdlets } from '../../../src/emulators/hyperv/powershell/index.ts';

describe('PowerShell interpreter: hostile input', () => {
  it('refuses deep nesting with a parse error instead of overflowing the stack', async () => {
    for (const script of ['('.repeat(5000) + '1' + ')'.repeat(5000), '@{a='.repeat(3000), '$('.repeat(3000), '{'.repeat(3000), '-not '.repeat(5000) + '1', '[int]'.repeat(5000) + '1']) {
      const outcome = await runPowerShell(createHyperVHost(), script);
      assert.equal(outcome.exitCode, 1);
      assert.equal(outcome.errors[0]?.category, 'ParserError');
    }
  });

  it('bounds memory and time: huge ranges, string repetition, endless loops, oversized scripts', async () => {
    const host = createHyperVHost();
    for (const script of ['1..2000000000', "'a' * 2000000000", '@(1) * 2000000000', "$s = 'x' * 1000000; $t = $s * 100"]) {
      const outcome = await runPowerShell(host, script);
      assert.equal(outcome.exitCode, 1, script);
      assert.equal(outcome.errors[0]?.category, 'LimitsExceeded', script);
    }
    const started = Date.now();
    const loop = await runPowerShell(host, 'foreach ($i in 1..100000) { foreach ($j in 1..100000) { $k = $i + $j } }');
    assert.equal(loop.errors[0]?.fullyQualifiedErrorId, 'ExecutionBudgetExceeded');
    assert.ok(Date.now() - started < 30_000);
    const big = await runPowerShell(host, `'${'x'.repeat(1_100_000)}'`);
    assert.equal(big.errors[0]?.fullyQualifiedErrorId, 'ScriptTooLong');
  });

  it('never throws on garbage: random token soup always yields an outcome', async () => {
    const pieces = ['function f', 'param(', 'while', 'for', 'break', 'continue', '++', '$(', ')', '{', '}', '@{', '@(', "'", '"', '`', '|', ';', '\n', '-eq', 'Get-VM', '-Name', '$_', '$null', '[int]', '::', '.', ',', '=', '+', '1', 'x', '#', '<#', '#>', '\u2019', '\u201c', '\0', '2>&1', '&', 'throw', 'exit', 'if', 'try', 'catch'];
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const host = createHyperVHost();
    for (let i = 0; i < 2000; i++) {
      const script = Array.from({ length: 1 + Math.floor(random() * 12) }, () => pieces[Math.floor(random() * pieces.length)]).join(random() < 0.5 ? ' ' : '');
      const outcome = await runPowerShell(host, script);
      assert.equal(typeof outcome.exitCode, 'number', script);
      assert.ok(Array.isArray(outcome.errors), script);
      assert.ok(!outcome.errors.some((error) => error.fullyQualifiedErrorId === INTERNAL_ERROR_ID), `${script}: ${outcome.errors.map((error) => error.message).join('; ')}`);
    }
    assert.equal(host.vms.length, 0);
  });

  it('a value inside single quotes never executes, whatever it contains', async () => {
    const host = createHyperVHost();
    const hostile = ["$(Stop-Computer)", '"; Remove-VM * -Force; "', '`; Remove-VM *', "'; Remove-VM -Name * -Force; '", 'a\nRemove-VM *', '${env:x}$(Get-VM)'];
    for (const value of hostile) {
      const literal = `'${value.replace(/['\u2018\u2019\u201a\u201b]/g, '$&$&')}'`;
      const outcome = await runPowerShell(host, `Write-Output ${literal}`);
      assert.deepEqual(outcome.commandsRun, ['Write-Output'], value);
      assert.equal(outcome.stdout, `${value}\r\n`);
    }
  });

  it('random cmdlet calls with random parameters never hit an interpreter defect', async () => {
    let seed = 4242;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const cmdlets = supportedCmdlets();
    const parameters = ['-Name', '-VMName', '-VM', '-Path', '-Force', '-TurnOff', '-Count', '-StartupBytes', '-SnapshotName', '-SwitchName', '-StaticMacAddress', '-VlanId', '-Access', '-Generation', '-NewVHDPath', '-NewVHDSizeBytes', '-VHDPath', '-NoVHD', '-ErrorAction', '-Confirm:$false', '-Passthru', '-Depth', '-Compress', '-First', '-ExpandProperty', '-Property', '-VMNetworkAdapterName', '-EnableSecureBoot', '-Destination', '-LiteralPath', '-SizeBytes', '-VMSnapshot', '-InputObject'];
    const values = ["'vm1'", "'vm2'", '1', '512MB', '$null', '$true', "'Off'", "'C:\\Templates\\ubuntu-24.04.vhdx'", "'C:\\ISO\\x.iso'", '(Get-VM)', '@()', '@(1,2)', '$v', "'ExternalSwitch'", 'Stop', 'SilentlyContinue', '{ $_.Name }', "@{n='a';e={$_.Name}}", '(Get-VMSnapshot -VMName vm1)', "'*'", "'[z-a]'", '-1', '99999999999999999999'];
    const host = createHyperVHost();
    await runPowerShell(host, "New-VM -Name 'vm1' -NoVHD | Out-Null; New-VM -Name 'vm2' -Generation 2 -NoVHD | Out-Null; Checkpoint-VM -Name 'vm1' -SnapshotName 's'");
    for (let i = 0; i < 3000; i++) {
      const statement = () => {
        const parts = [pick(cmdlets)];
        for (let j = Math.floor(random() * 5); j > 0; j--) {
          parts.push(pick(parameters));
          if (random() < 0.7) parts.push(pick(values));
        }
        const call = parts.join(' ');
        return `${random() < 0.3 ? '$v = ' : ''}${call}${random() < 0.3 ? ` | ${pick(cmdlets)}` : ''}`;
      };
      const script = Array.from({ length: 1 + Math.floor(random() * 3) }, statement).join('; ');
      const outcome = await runPowerShell(host, script);
      assert.ok(!outcome.errors.some((error) => error.fullyQualifiedErrorId === INTERNAL_ERROR_ID), `${script}: ${outcome.errors.map((error) => error.message).join('; ')}`);
    }
  });
});
