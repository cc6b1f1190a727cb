import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startHyperVEmulator } from '../../../src/emulators/hyperv/index.ts';
import type { HyperVEmulator } from '../../../src/emulators/hyperv/index.ts';

/** Debian's python3-winrm imports only under the system interpreter (see .ci/debian-packages). */
const PYTHON = '/usr/bin/python3';
const PROBE = fileURLToPath(new URL('../../helpers/pywinrm_probe.py', import.meta.url));

interface ProbeResult {
  status_code?: number;
  std_out?: string;
  std_err?: string;
  exception?: string;
  message?: string;
}

function runProbe(url: string, username: string, password: string, steps: object[]): Promise<ProbeResult[]> {
  // pywinrm 0.3 lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override server_cert_validation='ignore'.
  const env = { ...process.env };
  delete env['REQUESTS_CA_BUNDLE'];
  delete env['CURL_CA_BUNDLE'];
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [PROBE, url, username], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`pywinrm probe exited ${code}: ${stderr}`));
      resolve(JSON.parse(stdout) as ProbeResult[]);
    });
    child.stdin.end([password, ...steps.map((step) => JSON.stringify(step))].join('\n'));
  });
}

let emulator: HyperVEmulator;

before(async () => {
  assert.ok(existsSync(PYTHON), `${PYTHON} is required (python3-winrm from .ci/debian-packages)`);
  emulator = await startHyperVEmulator({ password: 'Py-winrm-2026' });
});

after(async () => {
  await emulator.close();
});

describe('third-party client: Debian python3-winrm (pywinrm + requests_ntlm)', () => {
  it('authenticates with NTLM under Negotiate over HTTPS (with channel bindings) and runs Get-VM through run_ps', async () => {
    const counters = emulator.endpoint.counters;
    const before = structuredClone(counters);
    const [created, listed, cmd, missing] = await runProbe(emulator.url, emulator.username, emulator.password, [
      { kind: 'ps', script: "New-VM -Name 'py-vm' -MemoryStartupBytes 512MB -Generation 2 -NoVHD | Out-Null" },
      { kind: 'ps', script: 'Get-VM | Select-Object Name, State | ConvertTo-Json' },
      { kind: 'cmd', command: 'ipconfig', args: ['/all'] },
      { kind: 'raw_ps', script: "Get-VM -Name 'nope'" },
    ]);
    assert.deepEqual(created, { status_code: 0, std_out: '', std_err: '' });
    assert.equal(listed?.status_code, 0);
    assert.deepEqual(JSON.parse(listed?.std_out ?? ''), { Name: 'py-vm', State: 3 });
    assert.equal(cmd?.status_code, 1);
    assert.match(cmd?.std_err ?? '', /^'ipconfig' is not recognized as an internal or external command/);
    assert.equal(missing?.status_code, 1);
    assert.match(missing?.std_err ?? '', /^#< CLIXML\r\n<Objs Version="1\.1\.0\.1"/);
    assert.match(missing?.std_err ?? '', /<S S="Error">Get-VM : Hyper-V was unable to find a virtual machine with name "nope"\._x000D__x000A_<\/S>/);
    assert.ok(emulator.endpoint.counters.authenticatedConnections > before.authenticatedConnections);
    assert.equal(emulator.endpoint.shells.shells.size, 0, 'pywinrm closed its shells');
    assert.equal(emulator.host.vms.length, 1);
  });

  it('gets InvalidCredentialsError for a wrong password', async () => {
    const [result] = await runProbe(emulator.url, emulator.username, 'wrong-password', [{ kind: 'ps', script: 'Get-VM' }]);
    assert.equal(result?.exception, 'InvalidCredentialsError');
  });
});
