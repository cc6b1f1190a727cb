import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeStderr, unescapeClixmlString } from '../../../src/clients/winrm/clixml.ts';
import { readFault, WinRmFaultError } from '../../../src/clients/winrm/faults.ts';
import { Action, bodies, buildRequest, parseEnvelope, parseReceiveResponse, parseShellId, SoapFormatError } from '../../../src/clients/winrm/soap.ts';
import { encodePowerShellCommand } from '../../../src/clients/winrm/powershell.ts';

const ENVELOPE_OPEN =
  '<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><s:Header><a:Action>x</a:Action></s:Header><s:Body>';
const ENVELOPE_CLOSE = '</s:Body></s:Envelope>';
const wrap = (body: string) => `${ENVELOPE_OPEN}${body}${ENVELOPE_CLOSE}`;

describe('WS-Man request building', () => {
  it('builds a Create with the cmd resource URI, options and the shell body', () => {
    const { xml, messageId } = buildRequest({
      action: Action.create,
      to: 'https://host:5986/wsman',
      operationTimeoutSeconds: 20,
      options: { WINRS_NOPROFILE: 'TRUE', WINRS_CODEPAGE: '65001' },
      body: bodies.createShell(),
    });
    assert.match(messageId, /^uuid:[0-9A-F-]{36}$/);
    const { header, body } = parseEnvelope(xml);
    assert.equal((header['Action'] as { '#text': string })['#text'], Action.create);
    assert.equal((header['ResourceURI'] as { '#text': string })['#text'], 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd');
    assert.equal(header['OperationTimeout'], 'PT20S');
    assert.deepEqual((header['OptionSet'] as { Option: unknown[] }).Option, [
      { '#text': 'TRUE', '@_Name': 'WINRS_NOPROFILE' },
      { '#text': '65001', '@_Name': 'WINRS_CODEPAGE' },
    ]);
    assert.deepEqual(body['Shell'], { InputStreams: 'stdin', OutputStreams: 'stdout stderr' });
  });

  it('escapes command arguments as XML text', () => {
    const { xml } = buildRequest({ action: Action.command, to: 'https://h/wsman', operationTimeoutSeconds: 20, shellId: 'S', body: bodies.command('cmd', ['<a&b>', '"q"']) });
    assert.match(xml, /<rsp:Arguments>&lt;a&amp;b&gt;<\/rsp:Arguments>/);
    assert.deepEqual(parseEnvelope(xml).body['CommandLine'], { Command: 'cmd', Arguments: ['<a&b>', '"q"'] });
  });

  it('encodes PowerShell as base64 UTF-16LE', () => {
    assert.equal(Buffer.from(encodePowerShellCommand("Get-VM -Name 'ä'"), 'base64').toString('utf16le'), "Get-VM -Name 'ä'");
  });
});

describe('WS-Man response parsing', () => {
  it('reads the ShellId from ResourceCreated', () => {
    const body = parseEnvelope(
      wrap('<x:ResourceCreated xmlns:x="t"><a:Address>u</a:Address><a:ReferenceParameters><w:ResourceURI>r</w:ResourceURI><w:SelectorSet><w:Selector Name="ShellId">ABC-1</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>'),
    ).body;
    assert.equal(parseShellId(body), 'ABC-1');
    assert.throws(() => parseShellId({}), SoapFormatError);
  });

  it('joins base64 stream chunks, ignores End markers and other commands, reads Done and the exit code', () => {
    const body = parseEnvelope(
      wrap(
        '<rsp:ReceiveResponse>' +
          '<rsp:Stream Name="stdout" CommandId="C1">aGk=</rsp:Stream>' +
          '<rsp:Stream Name="stdout" CommandId="C1">IGFnYWluDQo=</rsp:Stream>' +
          '<rsp:Stream Name="stdout" CommandId="OTHER">eA==</rsp:Stream>' +
          '<rsp:Stream Name="stderr" CommandId="C1">ZXJyDQo=</rsp:Stream>' +
          '<rsp:Stream Name="stdout" CommandId="C1" End="true"></rsp:Stream>' +
          '<rsp:CommandState CommandId="C1" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"><rsp:ExitCode>7</rsp:ExitCode></rsp:CommandState>' +
          '</rsp:ReceiveResponse>',
      ),
    ).body;
    const output = parseReceiveResponse(body, 'c1');
    assert.equal(Buffer.concat(output.stdout).toString(), 'hi again\r\n');
    assert.equal(Buffer.concat(output.stderr).toString(), 'err\r\n');
    assert.equal(output.done, true);
    assert.equal(output.exitCode, 7);
    const running = parseReceiveResponse(
      parseEnvelope(wrap('<rsp:ReceiveResponse><rsp:CommandState CommandId="C1" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Running"/></rsp:ReceiveResponse>')).body,
      'C1',
    );
    assert.deepEqual(running, { stdout: [], stderr: [], done: false });
  });

  it('turns a TimedOut fault into a retryable error and a provider fault into a readable one', () => {
    const timedOut = readFault(
      parseEnvelope(
        wrap(
          '<s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>w:TimedOut</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  </s:Text></s:Reason><s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="2150858793" Machine="h"><f:Message>The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  </f:Message></f:WSManFault></s:Detail></s:Fault>',
        ),
      ).body,
    );
    assert.ok(timedOut instanceof WinRmFaultError);
    assert.equal(timedOut.isTimedOut, true);
    const provider = readFault(
      parseEnvelope(
        wrap(
          '<s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>w:InvalidParameter</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">The parameter is incorrect. </s:Text></s:Reason><s:Detail><w:FaultDetail>http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/InvalidValue</w:FaultDetail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="87" Machine="h"><f:Message><f:ProviderFault provider="Shell cmd plugin" path="%systemroot%\\system32\\winrscmd.dll">The parameter is incorrect. </f:ProviderFault></f:Message></f:WSManFault></s:Detail></s:Fault>',
        ),
      ).body,
    );
    assert.equal(provider?.message, 'WinRM fault (w:InvalidParameter, code 87): The parameter is incorrect.');
    assert.equal(provider?.isTimedOut, false);
    assert.equal(readFault({ ReceiveResponse: {} }), undefined);
  });

  it('reports malformed XML as a format error', () => {
    assert.throws(() => parseEnvelope('<s:Envelope><unclosed>'), SoapFormatError);
    assert.throws(() => parseEnvelope('<html>Service Unavailable</html>'), /without a SOAP envelope/);
  });
});

describe('CLIXML error decoding', () => {
  const clixml =
    '#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">' +
    '<Obj S="progress" RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T><T>System.Object</T></TN><MS><I64 N="SourceId">1</I64><PR N="Record"><AV>Preparing modules for first use.</AV><AI>0</AI><Nil /><PI>-1</PI><PC>-1</PC><T>Completed</T><SR>-1</SR><SD> </SD></PR></MS></Obj>' +
    '<S S="Error">Get-VM : Hyper-V was unable to find a virtual machine with name "vm &amp; co".Ä_x000D__x000A_</S>' +
    '<S S="Error">At line:1 char:1_x000D__x000A_</S>' +
    '<S S="Error">+ Get-VM -Name \'vm &amp; co\'_x000D__x000A_</S>' +
    '<S S="Error">+ ~~~~~~~~~~~~~~~~~~~~~~~~_x000D__x000A_</S>' +
    '<S S="Error">    + CategoryInfo          : InvalidArgument: (vm &amp; co:String) [Get-VM], VirtualizationException_x000D__x000A_</S>' +
    '<S S="Error">    + FullyQualifiedErrorId : InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM_x000D__x000A_</S>' +
    '<S S="Error"> _x000D__x000A_</S>' +
    '<S S="Error">Remove-Item : Cannot find path \'C:\\x.vhdx\' because it does not exist._x000D__x000A_</S>' +
    '<S S="Error">    + FullyQualifiedErrorId : PathNotFound,Microsoft.PowerShell.Commands.RemoveItemCommand_x000D__x000A_</S>' +
    '</Objs>';

  it('unescapes _xHHHH_ sequences', () => {
    assert.equal(unescapeClixmlString('a_x000D__x000A_b_x0009_c'), 'a\r\nb\tc');
  });

  it('gives readable text and one message per error record, skipping progress records', () => {
    const decoded = decodeStderr(clixml);
    assert.deepEqual(decoded.errors, [
      'Hyper-V was unable to find a virtual machine with name "vm & co".Ä',
      "Cannot find path 'C:\\x.vhdx' because it does not exist.",
    ]);
    assert.match(decoded.text, /^Get-VM : Hyper-V was unable/);
    assert.doesNotMatch(decoded.text, /Preparing modules|_x000D_/);
  });

  it('passes plain stderr through', () => {
    assert.deepEqual(decodeStderr("'x' is not recognized\r\n"), { text: "'x' is not recognized", errors: ["'x' is not recognized"] });
    assert.deepEqual(decodeStderr(''), { text: '', errors: [] });
  });
});
