import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { WinRmEndpoint } from '../../../src/emulators/hyperv/winrm-endpoint.ts';
import { startTestEndpoint, TEST_PASSWORD, TEST_USER } from '../../helpers/winrm-endpoint.ts';

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

function runProbe(url: string, password: string, steps: object[]): Promise<ProbeResult[]> {
  // pywinrm 0.3 lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override server_cert_validation='ignore'.
  const env = { ...process.env };
  delete env['REQUESTS_CA_BUNDLE'];
  delete env['CURL_CA_BUNDLE'];
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [PROBE, url, TEST_USER], { env, stdio: ['pipe', 'pipe', 'pipe'] });
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

let endpoint: WinRmEndpoint;

before(async () => {
  assert.ok(existsSync(PYTHON), `${PYTHON} is required (python3-winrm from .ci/debian-packages)`);
  endpoint = await startTestEndpoint();
});

after(async () => {
  await endpoint.close();
});

describe('third-party client: Debian python3-winrm (pywinrm + requests_ntlm)', () => {
  it('authenticates with NTLM under Negotiate over HTTPS (with channel bindings) and runs PowerShell', async () => {
    const before = structuredClone(endpoint.counters);
    const [ps, cmd, failing] = await runProbe(endpoint.url, TEST_PASSWORD, [
      { kind: 'ps', script: 'Write-Output from pywinrm' },
      { kind: 'cmd', command: 'ipconfig', args: ['/all'] },
      { kind: 'raw_ps', script: 'Fail no such VM' },
    ]);
    assert.deepEqual(ps, { status_code: 0, std_out: 'from pywinrm\r\n', std_err: '' });
    assert.equal(cmd?.status_code, 1);
    assert.match(cmd?.std_err ?? '', /^'ipconfig' is not recognized as an internal or external command/);
    assert.equal(failing?.status_code, 1);
    assert.match(failing?.std_err ?? '', /^#< CLIXML\r\n<Objs Version="1\.1\.0\.1"/);
    assert.match(failing?.std_err ?? '', /<S S="Error">Get-VM : no such VM_x000D__x000A_<\/S>/);
    assert.ok(endpoint.counters.authenticatedConnections > before.authenticatedConnections);
    assert.equal(endpoint.shells.shells.size, 0, 'pywinrm closed its shells');
  });

  it('gets InvalidCredentialsError for a wrong password', async () => {
    const [result] = await runProbe(endpoint.url, 'wrong-password', [{ kind: 'ps', script: 'Write-Output never' }]);
    assert.equal(result?.exception, 'InvalidCredentialsError');
  });
});
