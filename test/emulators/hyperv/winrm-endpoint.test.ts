import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, beforeEach, describe, it } from 'node:test';
import { WinRmAuthenticationError, WinRmClient, WinRmFaultError, WinRmTransportError } from '../../../src/clients/winrm/index.ts';
import type { WinRmEndpoint } from '../../../src/emulators/hyperv/winrm-endpoint.ts';
import { startTestEndpoint, TEST_PASSWORD, TEST_USER } from '../../helpers/winrm-endpoint.ts';

let endpoint: WinRmEndpoint & { certificatePem: string };
const clients: WinRmClient[] = [];

function client(overrides: { password?: string; verifyTls?: boolean; ca?: string } = {}): WinRmClient {
  const created = new WinRmClient({
    url: new URL(endpoint.url),
    username: TEST_USER,
    password: overrides.password ?? TEST_PASSWORD,
    verifyTls: overrides.verifyTls ?? false,
    ...(overrides.ca ? { ca: overrides.ca } : {}),
  });
  clients.push(created);
  return created;
}

/** Control-API call over HTTPS (the emulator's certificate is self-signed). */
function control(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const request = https.request(`${endpoint.url.replace(/\/wsman$/, '')}${path}`, { method, rejectUnauthorized: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown }));
    });
    request.on('error', reject);
    request.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** One raw HTTPS POST (no NTLM), to look at what an unauthenticated client sees. */
function rawPost(headers: Record<string, string>): Promise<{ status: number; authenticate: string[] }> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      endpoint.url,
      { method: 'POST', rejectUnauthorized: false, agent: false, headers: { 'content-type': 'application/soap+xml;charset=UTF-8', ...headers } },
      (response) => {
        response.resume();
        response.on('end', () => {
          const raw = response.rawHeaders;
          const values: string[] = [];
          for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'www-authenticate') values.push(raw[i + 1]!);
          resolve({ status: response.statusCode ?? 0, authenticate: values });
        });
      },
    );
    request.on('error', reject);
    request.end('<s:Envelope/>');
  });
}

before(async () => {
  endpoint = await startTestEndpoint();
});

beforeEach(() => {
  endpoint.faults.clear();
  endpoint.config.receiveWaitCapMs = undefined;
});

after(async () => {
  for (const created of clients) await created.close();
  await endpoint.close();
});

describe('WinRM endpoint over HTTPS with NTLM', () => {
  it('answers an unauthenticated request with 401 offering Negotiate and Kerberos, and refuses the NTLM scheme', async () => {
    const anonymous = await rawPost({});
    assert.equal(anonymous.status, 401);
    assert.deepEqual(anonymous.authenticate, ['Negotiate', 'Kerberos']);
    const ntlmScheme = await rawPost({ authorization: 'NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGNFAAAADw==' });
    assert.equal(ntlmScheme.status, 401);
    assert.deepEqual(ntlmScheme.authenticate, ['Negotiate', 'Kerberos']);
    const negotiate = await rawPost({ authorization: 'Negotiate TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGNFAAAADw==' });
    assert.equal(negotiate.status, 401);
    assert.match(negotiate.authenticate[0] ?? '', /^Negotiate TlRMTVNTUAACAAAA/);
  });

  it('runs PowerShell in one shell, several commands, and counts the requests', async () => {
    const winrm = client();
    const before = structuredClone(endpoint.counters);
    const shell = await winrm.openShell();
    const first = await shell.runPowerShell('Write-Output hello');
    const second = await shell.runPowerShell('Write-Output é ü 日本; exit 3');
    const third = await shell.runPowerShell("Echo-Script 'quoted' \"double\" $(dollar) `back`tick");
    await shell.close();
    assert.deepEqual(first, { stdout: 'hello\r\n', stderr: '', exitCode: 0, errors: [] });
    assert.equal(second.stdout, 'é ü 日本\r\n', 'UTF-8 output through codepage 65001');
    assert.equal(second.exitCode, 3);
    assert.equal(third.stdout, "Echo-Script 'quoted' \"double\" $(dollar) `back`tick\r\n", 'the script arrives byte for byte');
    // NEGOTIATE leg, then Create (carrying AUTHENTICATE), 3 × (Command + Receive), Delete.
    assert.deepEqual(winrm.requestCounts, { handshake: 1, afterHandshake: 8 });
    assert.equal(winrm.requestCount, 9);
    const ops = endpoint.counters.byOperation;
    assert.equal((ops['Create'] ?? 0) - (before.byOperation['Create'] ?? 0), 1);
    assert.equal((ops['Command'] ?? 0) - (before.byOperation['Command'] ?? 0), 3);
    assert.equal((ops['Delete'] ?? 0) - (before.byOperation['Delete'] ?? 0), 1);
    assert.equal(endpoint.counters.authenticatedConnections - before.authenticatedConnections, 1);
    assert.equal(endpoint.shells.shells.size, 0, 'the shell was deleted');
  });

  it('decodes PowerShell error records from CLIXML on stderr', async () => {
    const shell = await client().openShell();
    const result = await shell.runPowerShell('Fail Hyper-V was unable to find a virtual machine with name "x".; Fail second problem');
    await shell.close();
    assert.equal(result.exitCode, 1);
    assert.deepEqual(result.errors, ['Hyper-V was unable to find a virtual machine with name "x".', 'second problem']);
    assert.match(result.stderr, /^Get-VM : Hyper-V was unable/);
    assert.doesNotMatch(result.stderr, /CLIXML|_x000D_/);
  });

  it('re-polls Receive on w:TimedOut until the command is done', async () => {
    endpoint.config.receiveWaitCapMs = 40;
    const receivesBefore = endpoint.counters.byOperation['Receive'] ?? 0;
    const shell = await client().openShell();
    const result = await shell.runPowerShell('Start-Sleep -Milliseconds 300; Write-Output late');
    await shell.close();
    assert.equal(result.stdout, 'late\r\n');
    assert.ok((endpoint.counters.byOperation['Receive'] ?? 0) - receivesBefore >= 3, 'several Receives were needed');
  });

  it('answers other programs like cmd.exe does for an unknown command', async () => {
    const shell = await client().openShell();
    const result = await shell.runCommand('ipconfig', ['/all']);
    await shell.close();
    assert.equal(result.exitCode, 1);
    assert.equal(result.stderr, "'ipconfig' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n");
  });

  it('rejects a wrong password with a clear error and never runs anything', async () => {
    const commandsBefore = endpoint.counters.byOperation['Command'] ?? 0;
    const unauthorizedBefore = endpoint.counters.unauthorized;
    await assert.rejects(client({ password: 'not-the-password' }).openShell(), (error: unknown) => {
      assert.ok(error instanceof WinRmAuthenticationError);
      assert.match(error.message, /rejected the credentials of 'Administrator'/);
      assert.doesNotMatch(error.message, /not-the-password/);
      return true;
    });
    assert.equal(endpoint.counters.byOperation['Command'] ?? 0, commandsBefore);
    assert.ok(endpoint.counters.unauthorized > unauthorizedBefore);
  });

  it('verifies the certificate unless told not to', async () => {
    await assert.rejects(client({ verifyTls: true }).openShell(), (error: unknown) => {
      assert.ok(error instanceof WinRmTransportError);
      assert.match(error.message, /TLS certificate verification failed/);
      return true;
    });
    const trusted = client({ verifyTls: true, ca: endpoint.certificatePem });
    const shell = await trusted.openShell();
    assert.equal((await shell.runPowerShell('Write-Output trusted')).stdout, 'trusted\r\n');
    await shell.close();
  });

  it('turns SOAP faults into errors: unknown shell, injected server error', async () => {
    const winrm = client();
    const shell = await winrm.openShell();
    await assert.rejects(winrm.send({ action: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete', shellId: '00000000-0000-0000-0000-000000000000' }), (error: unknown) => {
      assert.ok(error instanceof WinRmFaultError);
      assert.equal(error.wsmanCode, 2150858843);
      assert.equal(error.subcode, 'w:InvalidSelectors');
      assert.match(error.message, /shell was not found on the server/);
      return true;
    });
    endpoint.faults.add({ path: '^/wsman$', status: 503, message: 'Service Unavailable', times: 1 });
    await assert.rejects(shell.runPowerShell('Write-Output never'), /WinRM answered HTTP 503/);
    endpoint.faults.add({ path: '^/wsman$', status: 500, message: 'The service is shutting down.', times: 1 });
    await assert.rejects(shell.runPowerShell('Write-Output never'), /WinRM fault \(w:InternalError.*The service is shutting down/);
    await shell.close();
  });

  it('authenticates again when the connection is lost between commands', async () => {
    const winrm = client();
    const shell = await winrm.openShell();
    assert.equal((await shell.runPowerShell('Write-Output one')).stdout, 'one\r\n');
    endpoint.dropConnections();
    assert.equal((await shell.runPowerShell('Write-Output two')).stdout, 'two\r\n');
    await shell.close();
    assert.equal(winrm.requestCounts.handshake, 2);
  });

  it('aborts a long-running command on request and terminates it when the shell closes', async () => {
    const winrm = client();
    const shell = await winrm.openShell();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    await assert.rejects(shell.runPowerShell('Start-Sleep -Milliseconds 5000', controller.signal), /aborted/);
    assert.ok(Date.now() - started < 2000);
    const signalsBefore = endpoint.counters.byOperation['Signal'] ?? 0;
    await shell.close();
    assert.equal((endpoint.counters.byOperation['Signal'] ?? 0) - signalsBefore, 1);
  });
});

describe('control API', () => {
  it('reports shells, request counters and faults, and resets', async () => {
    const shellsBefore = endpoint.shells.shells.size;
    const shell = await client().openShell();
    const state = (await control('GET', '/_emulator/state')).json as { shells: unknown[] };
    assert.equal(state.shells.length, shellsBefore + 1);
    const requests = (await control('GET', '/_emulator/requests')).json as { byOperation: Record<string, number> };
    assert.ok((requests.byOperation['Create'] ?? 0) >= 1);
    assert.equal((await control('POST', '/_emulator/faults', { path: 'nope', status: 99 })).status, 400);
    assert.equal((await control('POST', '/_emulator/faults', { path: '^/wsman$', latencyMs: 1 })).status, 201);
    assert.equal(((await control('GET', '/_emulator/faults')).json as unknown[]).length, 1);
    assert.equal((await control('PUT', '/_emulator/config', { receiveWaitCapMs: 500 })).status, 200);
    assert.equal((await control('POST', '/_emulator/reset')).status, 200);
    assert.equal(endpoint.shells.shells.size, 0);
    assert.equal(((await control('GET', '/_emulator/faults')).json as unknown[]).length, 0);
    await assert.rejects(shell.runPowerShell('Write-Output gone'), /shell was not found/);
  });
});
