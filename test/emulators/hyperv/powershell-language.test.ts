import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHyperVHost } from '../../../src/emulators/hyperv/host-state.ts';
import { runPowerShell } from '../../../src/emulators/hyperv/powershell/index.ts';

async function run(script: string) {
  return runPowerShell(createHyperVHost(), script);
}

/** stdout split into lines, CRLF as powershell.exe writes them, trailing empty line dropped. */
async function lines(script: string): Promise<string[]> {
  const outcome = await run(script);
  assert.deepEqual(outcome.errors, [], `unexpected errors for ${script}`);
  return outcome.stdout.split('\r\n').slice(0, -1);
}

describe('PowerShell interpreter: language', () => {
  it('separates statements with ; and newlines and writes each output on its own CRLF line', async () => {
    assert.deepEqual(await lines("'a'; 'b'\n'c'\r\n42"), ['a', 'b', 'c', '42']);
  });

  it('single-quoted strings are literal; doubled quotes (ASCII and Unicode) are one quote', async () => {
    assert.deepEqual(await lines("'it''s $(Stop-Computer) `n $x'"), ["it's $(Stop-Computer) `n $x"]);
    assert.deepEqual(await lines('\u2018a\u2019\u2019b\u2019'), ['a\u2019b']);
  });

  it('double-quoted strings expand $var, ${var}, $(subexpression) and backtick escapes but not $var.Property', async () => {
    assert.deepEqual(await lines('$n = 5; $s = \'x\'; "n=$n ${n} $($n * 2) `$n ""q"" $s.Length"'), ['n=5 5 10 $n "q" x.Length']);
    assert.deepEqual(await lines('"a`tb"'), ['a\tb']);
  });

  it('evaluates arithmetic with precedence, numeric multipliers and string concatenation', async () => {
    assert.deepEqual(await lines("1 + 2 * 3; (1 + 2) * 3; 512MB / 1MB; 'a' + 1; 7 % 3; 10 / 4"), ['7', '9', '512', 'a1', '1', '2.5']);
  });

  it('supports arrays, hashtables, indexing, member access and .Count', async () => {
    assert.deepEqual(await lines('$a = @(1, 2, 3); $a.Count; $a[1]; $a[-1]; $h = @{ Name = \'x\'; N = 2 }; $h.Name; $h[\'N\']; @().Count; $null.Count'), ['3', '2', '3', 'x', '2', '0', '0']);
  });

  it('has comparison operators that are case-insensitive and filter arrays', async () => {
    assert.deepEqual(await lines("'ABC' -eq 'abc'; 'ABC' -ceq 'abc'; 'vm-1' -like 'VM-*'; 'abc' -match '^a(b)'; $Matches[1]; 5 -gt 3; 2 -lt 1; (1,2,3,2) -eq 2 | Measure-Object | Select-Object -ExpandProperty Count; 3 -in 1,2,3; 'x' -notin 'y'"), ['True', 'False', 'True', 'True', 'b', 'True', 'False', '2', 'True', 'True']);
  });

  it('evaluates -and, -or and -not with short-circuit', async () => {
    assert.deepEqual(await lines('$true -and $false; $false -or 1; -not $null; !$true; $false -and (Foo-Bar)'), ['False', 'True', 'True', 'False', 'False']);
  });

  it('runs if / elseif / else', async () => {
    assert.deepEqual(await lines('$x = 2\nif ($x -eq 1) { \'one\' }\nelseif ($x -eq 2) { \'two\' }\nelse { \'other\' }'), ['two']);
    assert.deepEqual(await lines('if ($null) { 1 } else { 0 }'), ['0']);
  });

  it('casts with [int] (banker\'s rounding), [string], [long] and [pscustomobject]', async () => {
    assert.deepEqual(await lines("[int]2.5; [int]3.5; [int]'42'; [string]12 + 1; [long]'8589934592'; ([pscustomobject]@{ A = 1 }).A"), ['2', '4', '42', '121', '8589934592', '1']);
  });

  it('reports a failed cast as a statement-terminating error and goes on', async () => {
    const outcome = await run("[int]'abc'; 'next'");
    assert.equal(outcome.stdout, 'next\r\n');
    assert.equal(outcome.errors.length, 1);
    assert.match(outcome.errors[0]!.message, /Cannot convert value "abc" to type "System.Int32"/);
  });

  it('pipes into Where-Object, ForEach-Object and Select-Object with $_', async () => {
    assert.deepEqual(await lines('1..5 | Where-Object { $_ -gt 2 } | ForEach-Object { $_ * 10 }'), ['30', '40', '50']);
    assert.deepEqual(await lines("@('a','b','c') | Select-Object -First 2"), ['a', 'b']);
    assert.deepEqual(await lines("@([pscustomobject]@{ N = 'x'; V = 1 }, [pscustomobject]@{ N = 'y'; V = 2 }) | Where-Object V -eq 2 | Select-Object -ExpandProperty N"), ['y']);
    assert.deepEqual(await lines("@([pscustomobject]@{ N = 'x' }) | % { $_.N.ToUpper() }"), ['X']);
  });

  it('builds calculated properties with abbreviated keys', async () => {
    assert.deepEqual(await lines("[pscustomobject]@{ A = 2 } | Select-Object @{ n = 'Double'; e = { $_.A * 2 } }, @{ Label = 'Name'; Expression = 'A' } | ConvertTo-Json -Compress"), ['{"Double":4,"Name":2}']);
  });

  it('ConvertTo-Json: one item is an object, several are an array, nothing is no output, -InputObject keeps arrays', async () => {
    assert.deepEqual(await lines("[pscustomobject]@{ A = 1 } | ConvertTo-Json -Compress"), ['{"A":1}']);
    assert.deepEqual(await lines("@([pscustomobject]@{ A = 1 }, [pscustomobject]@{ A = 2 }) | ConvertTo-Json -Compress"), ['[{"A":1},{"A":2}]']);
    assert.equal((await run('@() | ConvertTo-Json')).stdout, '');
    assert.deepEqual(await lines('ConvertTo-Json -InputObject @(1) -Compress'), ['[1]']);
    assert.deepEqual(await lines("ConvertTo-Json -InputObject @{ s = \"<a&b>'\" } -Compress"), ['{"s":"\\u003ca\\u0026b\\u003e\\u0027"}']);
  });

  it('ConvertTo-Json pretty-prints like Windows PowerShell 5.1 and honours -Depth', async () => {
    const outcome = await run('@{ a = 1; b = @(1, 2) } | ConvertTo-Json');
    assert.equal(outcome.stdout, '{\r\n    "a":  1,\r\n    "b":  [\r\n              1,\r\n              2\r\n          ]\r\n}\r\n');
    assert.deepEqual(await lines('@{ a = @{ b = @{ c = 1 } } } | ConvertTo-Json -Depth 1 -Compress'), ['{"a":{"b":"System.Collections.Hashtable"}}']);
  });

  it('Out-String formats and Write-Output enumerates', async () => {
    const outcome = await run("Write-Output 'a' 'b'; (Write-Output 1 | Out-String).Length");
    assert.equal(outcome.stdout, 'a\r\nb\r\n3\r\n');
  });

  it('Out-Null and $null = discard output', async () => {
    assert.equal((await run("'x' | Out-Null; $null = 'y'; [void]'z'")).stdout, '');
  });

  it('try/catch catches throw and -ErrorAction Stop, with $_ as the error record; finally always runs', async () => {
    assert.deepEqual(await lines("try { throw 'boom' } catch { \"caught $_\" } finally { 'fin' }"), ['caught boom', 'fin']);
    assert.deepEqual(await lines("try { Write-Error 'bad' -ErrorAction Stop; 'not here' } catch { $_.Exception.Message }"), ['bad']);
  });

  it('non-terminating errors are not caught by try/catch and the script continues', async () => {
    const outcome = await run("try { Write-Error 'soft'; 'continued' } catch { 'caught' }");
    assert.equal(outcome.stdout, 'continued\r\n');
    assert.equal(outcome.errors[0]?.message, 'soft');
    assert.equal(outcome.errors[0]?.commandName, "Write-Error 'soft'", 'labelled with the command line, as PowerShell does');
    assert.equal(outcome.errors[0]?.fullyQualifiedErrorId, 'Microsoft.PowerShell.Commands.WriteErrorException');
    assert.equal(outcome.exitCode, 0);
  });

  it('$ErrorActionPreference = Stop makes errors terminating; an uncaught throw ends the script with exit 1', async () => {
    const outcome = await run("$ErrorActionPreference = 'Stop'; Write-Error 'x'; 'unreachable'");
    assert.equal(outcome.stdout, '');
    assert.equal(outcome.exitCode, 1);
    const thrown = await run("throw 'fatal'; 'unreachable'");
    assert.equal(thrown.stdout, '');
    assert.equal(thrown.errors[0]?.message, 'fatal');
    assert.equal(thrown.exitCode, 1);
  });

  it('exit N sets the exit code; a failing last statement gives 1; success gives 0', async () => {
    assert.equal((await run("'x'; exit 7; 'y'")).exitCode, 7);
    assert.equal((await run("'x'; Write-Error 'e'")).exitCode, 1);
    assert.equal((await run("Write-Error 'e'; 'ok'")).exitCode, 0);
  });

  it('-ErrorAction SilentlyContinue hides the error and records it in $Error', async () => {
    const outcome = await run("Write-Error 'hidden' -ErrorAction SilentlyContinue; $Error.Count; $Error[0].Exception.Message");
    assert.deepEqual(outcome.errors, []);
    assert.equal(outcome.stdout, '1\r\nhidden\r\n');
  });

  it('unknown commands fail like PowerShell with CommandNotFoundException and the script goes on', async () => {
    const outcome = await run("Invoke-Nothing -Foo; 'after'");
    assert.equal(outcome.stdout, 'after\r\n');
    assert.equal(outcome.errors[0]?.fullyQualifiedErrorId, 'CommandNotFoundException');
    assert.equal(outcome.errors[0]?.category, 'ObjectNotFound');
    assert.match(outcome.errors[0]!.message, /^The term 'Invoke-Nothing' is not recognized as the name of a cmdlet, function, script file, or operable program\./);
  });

  it('rejects unknown and ambiguous parameters and reports missing arguments', async () => {
    const unknown = await run('Get-VM -Bogus 1');
    assert.equal(unknown.errors[0]?.fullyQualifiedErrorId, 'NamedParameterNotFound,Microsoft.HyperV.PowerShell.Commands.GetVM');
    const missing = await run('Get-VMSwitch -Name');
    assert.match(missing.errors[0]!.message, /Missing an argument for parameter 'Name'/);
    const prefix = await run("ConvertTo-Json -InputObject 1 -Comp");
    assert.equal(prefix.stdout, '1\r\n');
  });

  it('supports foreach loops, += and here-strings', async () => {
    assert.deepEqual(await lines("$t = 0; foreach ($i in 1..4) { $t += $i }; $t; @'\nline $x\n'@"), ['10', 'line $x']);
  });

  it('parse errors run nothing', async () => {
    const host = createHyperVHost();
    const outcome = await runPowerShell(host, "New-VM -Name 'a' -NoVHD; 'unterminated");
    assert.equal(outcome.exitCode, 1);
    assert.equal(outcome.errors[0]?.category, 'ParserError');
    assert.equal(host.vms.length, 0);
    assert.deepEqual(outcome.commandsRun, []);
  });

  it('keeps output written before exit or throw, also from catch blocks', async () => {
    const outcome = await run("try { 'a'; throw 'x' } catch { 'caught'; exit 4 }");
    assert.equal(outcome.stdout, 'a\r\ncaught\r\n');
    assert.equal(outcome.exitCode, 4);
    assert.equal((await run("'before'; throw 'after'")).stdout, 'before\r\n');
  });

  it('binds member access and indexing in arguments, followed by more parameters', async () => {
    assert.deepEqual(await lines("$d = @(@{ N = 1; M = 'x' }); Write-Output -InputObject $d[0].N -NoEnumerate; Write-Output $d[0].M.ToUpper() -NoEnumerate"), ['1', 'X']);
  });

  it('honours redirections: > $null, 2> $null, 2>&1 and *> $null', async () => {
    const outcome = await run("Get-VMSwitch > $null; Write-Error 'quiet' 2>$null; Write-Error 'merged' 2>&1 | ForEach-Object { \"caught: $($_.Exception.Message)\" }; Get-VMSwitch *> $null");
    assert.equal(outcome.stdout, 'caught: merged\r\n');
    assert.deepEqual(outcome.errors, []);
  });

  it('fills -ErrorVariable and -OutVariable', async () => {
    const outcome = await run("Get-VM -Name 'ghost' -ErrorAction SilentlyContinue -ErrorVariable problems; $problems.Count; $problems[0].Exception.Message; Get-VMSwitch -OutVariable switches | Out-Null; $switches.Name");
    assert.equal(outcome.stdout, '1\r\nHyper-V was unable to find a virtual machine with name "ghost".\r\nExternalSwitch\r\n');
  });

  it('runs while and for loops with break, continue and ++/--', async () => {
    assert.deepEqual(await lines('$i = 0; while ($i -lt 10) { $i++; if ($i -eq 2) { continue }; if ($i -eq 4) { break }; $i }; for ($j = 3; $j -gt 0; $j--) { "j$j" }'), ['1', '3', 'j3', 'j2', 'j1']);
    const endless = await run('while ($true) { }');
    assert.equal(endless.errors[0]?.fullyQualifiedErrorId, 'ExecutionBudgetExceeded');
  });

  it('return ends a script block or the script with its value, keeping earlier output in order', async () => {
    assert.deepEqual(await lines("1..3 | ForEach-Object { if ($_ -eq 2) { return 'r' }; $_ }"), ['1', 'r', '3']);
    assert.deepEqual(await lines("foreach ($i in 1..3) { $i; if ($i -eq 2) { return } }; 'never'"), ['1', '2']);
    assert.deepEqual(await lines("try { 'a'; return 'b' } finally { 'f' }"), ['a', 'b', 'f']);
    assert.deepEqual(await lines("foreach ($i in 1..3) { $i; if ($i -eq 2) { break }; 'after' }; 'end'"), ['1', 'after', '2', 'end']);
  });

  it('defines and calls functions with named, positional, default and switch parameters in their own scope', async () => {
    const script = [
      'function Add-Two($a, $b = 2) { $a + $b }',
      'function Get-Label { param([string]$Prefix, [switch]$Upper) $n = "$Prefix-x"; if ($Upper) { return $n.ToUpper() }; $n }',
      '$n = 1',
      'Add-Two 1; Add-Two -a 5 -b 10; Get-Label -Prefix vm; Get-Label vm -Upper; $n',
      "function Count-Input { $input.Count }; @(1, 2, 3) | Count-Input",
    ].join('\n');
    assert.deepEqual(await lines(script), ['3', '15', 'vm-x', 'VM-X', '1', '3']);
    const unknown = await run('function f($a) { $a }; f -b 1');
    assert.equal(unknown.errors[0]?.fullyQualifiedErrorId, 'NamedParameterNotFound,f');
    const recursion = await run('function r { r }; r');
    assert.equal(recursion.errors[0]?.fullyQualifiedErrorId, 'CallDepthOverflow');
  });
});
