import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WinRmClient, WinRmFaultError } from '../../../src/clients/winrm/index.ts';
import { Action, bodies, parseCommandId, parseReceiveResponse, parseShellId } from '../../../src/clients/winrm/soap.ts';
import type { WinRmEndpoint } from '../../../src/emulators/hyperv/winrm-endpoint.ts';
import { startTestEndpoint, TEST_PASSWORD, TEST_USER } from '../../helpers/winrm-endpoint.ts';

// Single WS-Man operations sent one by one (with our client's SOAP layer), to check the emulator's answers.
let endpoint: WinRmEndpoint;
let client: WinRmClient;

before(async () => {
  endpoint = await startTestEndpoint();
  client = new WinRmClient({ url: new URL(endpoint.url), username: TEST_USER, password: TEST_PASSWORD, verifyTls: false, operationTimeoutSeconds: 1 });
});

after(async () => {
  await client.close();
  await endpoint.close();
});

async function createShell(): Promise<string> {
  return parseShellId(await client.send({ action: Action.create, options: { WINRS_CODEPAGE: '65001' }, body: bodies.createShell() }));
}

describe('WS-Man operations of the emulator', () => {
  it('answers Receive with w:TimedOut (HTTP 500 fault) when there is no output within OperationTimeout', async () => {
    endpoint.config.receiveWaitCapMs = 30;
    const shellId = await createShell();
    const command = parseCommandId(
      await client.send({ action: Action.command, shellId, body: bodies.command('powershell', ['-EncodedCommand', Buffer.from('Start-Sleep -Milliseconds 400; Write-Output done', 'utf16le').toString('base64')]) }),
    );
    const started = Date.now();
    await assert.rejects(client.send({ action: Action.receive, shellId, body: bodies.receive(command) }), (error: unknown) => {
      assert.ok(error instanceof WinRmFaultError);
      assert.equal(error.isTimedOut, true);
      assert.equal(error.wsmanCode, 2150858793);
      return true;
    });
    assert.ok(Date.now() - started < 1000);
    endpoint.config.receiveWaitCapMs = undefined;
    // Without the cap the Receive waits (up to OperationTimeout = 1 s) for the output.
    const output = parseReceiveResponse(await client.send({ action: Action.receive, shellId, body: bodies.receive(command) }), command);
    assert.equal(Buffer.concat(output.stdout).toString('utf8'), 'done\r\n');
    assert.equal(output.done, true);
    assert.equal(output.exitCode, 0);
    await client.send({ action: Action.delete, shellId });
  });

  it('runs `powershell -Command -` with the script sent on stdin', async () => {
    const shellId = await createShell();
    const command = parseCommandId(await client.send({ action: Action.command, shellId, body: bodies.command('powershell.exe', ['-NoProfile', '-Command', '-']) }));
    await client.send({
      action: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send',
      shellId,
      body: { 'rsp:Send': { 'rsp:Stream': { '@_Name': 'stdin', '@_CommandId': command, '@_End': 'true', '#text': Buffer.from('Write-Output from-stdin').toString('base64') } } },
    });
    const output = parseReceiveResponse(await client.send({ action: Action.receive, shellId, body: bodies.receive(command) }), command);
    assert.equal(Buffer.concat(output.stdout).toString('utf8'), 'from-stdin\r\n');
    await client.send({ action: Action.delete, shellId });
  });

  it('rejects operations on unknown commands and shells with the Windows faults, and Signal ends a command', async () => {
    const shellId = await createShell();
    await assert.rejects(client.send({ action: Action.receive, shellId, body: bodies.receive('11111111-1111-1111-1111-111111111111') }), /command identifier that does not exist/);
    const command = parseCommandId(await client.send({ action: Action.command, shellId, body: bodies.command('powershell', ['-EncodedCommand', Buffer.from('Start-Sleep -Milliseconds 2000', 'utf16le').toString('base64')]) }));
    const signal = await client.send({ action: Action.signal, shellId, body: bodies.signal(command, 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate') });
    assert.ok('SignalResponse' in signal);
    await assert.rejects(client.send({ action: Action.receive, shellId, body: bodies.receive(command) }), (error: unknown) => error instanceof WinRmFaultError && error.wsmanCode === 2150858843);
    await client.send({ action: Action.delete, shellId });
    await assert.rejects(client.send({ action: Action.delete, shellId }), /shell was not found on the server/);
  });

  it('answers an unknown action with a fault', async () => {
    await assert.rejects(client.send({ action: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate' }), /ActionNotSupported/);
  });

  it('splits large output over several stream chunks and Receives', async () => {
    const line = 'x'.repeat(99);
    const big = Array.from({ length: 2000 }, () => line).join('; Write-Output ');
    const shellId = await createShell();
    const command = parseCommandId(await client.send({ action: Action.command, shellId, body: bodies.command('powershell', ['-EncodedCommand', Buffer.from(`Write-Output ${big}`, 'utf16le').toString('base64')]) }));
    let stdout = '';
    let receives = 0;
    for (;;) {
      const output = parseReceiveResponse(await client.send({ action: Action.receive, shellId, body: bodies.receive(command) }), command);
      receives += 1;
      stdout += Buffer.concat(output.stdout).toString('utf8');
      if (output.done) break;
    }
    assert.equal(stdout, `${line}\r\n`.repeat(2000));
    assert.ok(receives >= 3, `expected several Receives, got ${receives}`);
    await client.send({ action: Action.delete, shellId });
  });
});
