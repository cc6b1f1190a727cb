import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { runPowerShell } from '../../../src/emulators/hyperv/powershell/index.ts';
import { startTestHyperV } from '../../helpers/hyperv-emulator.ts';
import type { TestHyperV } from '../../helpers/hyperv-emulator.ts';

/** Debian's python3-winrm imports only under the system interpreter (see .ci/debian-packages). */
const PYTHON = '/usr/bin/python3';
const PROBE = fileURLToPath(new URL('../../helpers/pywinrm_probe.py', import.meta.url));

function probe(emulator: TestHyperV, steps: object[]): Promise<Array<{ status_code?: number; std_out?: string; std_err?: string }>> {
  const env = { ...process.env };
  delete env['REQUESTS_CA_BUNDLE'];
  delete env['CURL_CA_BUNDLE'];
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [PROBE, emulator.url, emulator.username], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`probe exited ${code}: ${stderr}`))));
    child.stdin.end([emulator.password, ...steps.map((step) => JSON.stringify(step))].join('\n'));
  });
}

describe('python3-winrm against the Hyper-V emulator (PowerShell interpreter behind WinRM)', () => {
  let emulator: TestHyperV;
  before(async () => {
    emulator = await startTestHyperV();
    await runPowerShell(emulator.host, "New-VM -Name 'web-01' -Generation 2 -NoVHD | Out-Null; Start-VM -Name 'web-01'");
  });
  after(() => emulator.close());

  it('runs Get-VM and gets PowerShell 5.1 JSON, and Hyper-V error records as CLIXML', async () => {
    const [listed, table, missing] = await probe(emulator, [
      { kind: 'ps', script: "Get-VM | Select-Object Name, @{Name='State';Expression={$_.State.ToString()}}, Generation | ConvertTo-Json" },
      { kind: 'ps', script: 'Get-VM' },
      { kind: 'raw_ps', script: "Get-VM -Name 'ghost'" },
    ]);
    assert.equal(listed?.status_code, 0);
    assert.equal(listed?.std_out, '{\r\n    "Name":  "web-01",\r\n    "State":  "Running",\r\n    "Generation":  2\r\n}\r\n');
    assert.match(table?.std_out ?? '', /Name\s+State\s+CPUUsage\(%\)\s+MemoryAssigned\(M\)\s+Uptime\s+Status\s+Version\r\n/);
    assert.match(table?.std_out ?? '', /web-01\s+Running\s+0\s+512\s/);
    assert.equal(missing?.status_code, 1);
    assert.match(missing?.std_err ?? '', /^#< CLIXML/);
    assert.match(missing?.std_err ?? '', /Hyper-V was unable to find a virtual machine with name "ghost"\./);
  });
});
