import { randomUUID } from 'node:crypto';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';

/** WS-Management envelopes as a Windows WinRM service writes them (shapes from real captured exchanges). */

export const NS = {
  s: 'http://www.w3.org/2003/05/soap-envelope',
  a: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  x: 'http://schemas.xmlsoap.org/ws/2004/09/transfer',
  e: 'http://schemas.xmlsoap.org/ws/2004/08/eventing',
  n: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration',
  w: 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd',
  rsp: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell',
  p: 'http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd',
  f: 'http://schemas.microsoft.com/wbem/wsman/1/wsmanfault',
} as const;

export const WSMAN_ACTIONS = {
  create: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Create',
  delete: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete',
  command: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command',
  receive: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive',
  send: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send',
  signal: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal',
} as const;

export const CMD_SHELL_URI = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd';
export const ANONYMOUS = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous';
export const COMMAND_STATE = {
  done: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done',
  running: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Running',
} as const;

type Node = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  isArray: (name) => ['Selector', 'Option', 'Arguments', 'Stream'].includes(name),
});

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: true, suppressBooleanAttributes: false });

const node = (value: unknown): Node | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Node) : undefined;
const list = (value: unknown): unknown[] => (value === undefined || value === null ? [] : Array.isArray(value) ? value : [value]);
const text = (value: unknown): string => (typeof value === 'string' ? value : typeof node(value)?.['#text'] === 'string' ? (node(value)!['#text'] as string) : '');
const attribute = (value: unknown, name: string): string | undefined => {
  const found = node(value)?.[`@_${name}`];
  return typeof found === 'string' ? found : undefined;
};

export interface WsmanRequest {
  readonly action: string;
  readonly messageId: string;
  readonly to: string;
  readonly resourceUri: string;
  readonly operationTimeoutMs: number | undefined;
  readonly selectors: ReadonlyMap<string, string>;
  readonly options: ReadonlyMap<string, string>;
  readonly body: Node;
}

/** Thrown for a request that is not a usable WS-Man message; becomes a SchemaValidationError fault. */
export class WsmanRequestError extends Error {
  override readonly name = 'WsmanRequestError';
}

/** `PT20S`, `PT60.000S`, `PT1M30S` → milliseconds. */
export function parseDuration(value: string): number | undefined {
  const match = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(value.trim());
  if (!match) return undefined;
  const [, days, hours, minutes, seconds] = match;
  return Math.round((((Number(days ?? 0) * 24 + Number(hours ?? 0)) * 60 + Number(minutes ?? 0)) * 60 + Number(seconds ?? 0)) * 1000);
}

export function parseWsmanRequest(xml: string): WsmanRequest {
  let document: Node;
  try {
    document = parser.parse(xml, true) as Node;
  } catch (error) {
    throw new WsmanRequestError(`The request is not well-formed XML: ${(error as Error).message}`);
  }
  const envelope = node(document['Envelope']);
  const header = node(envelope?.['Header']);
  if (!envelope || !header) throw new WsmanRequestError('The request has no SOAP envelope header');
  const selectors = new Map<string, string>();
  for (const selector of list(node(header['SelectorSet'])?.['Selector'])) selectors.set(attribute(selector, 'Name') ?? '', text(selector).trim());
  const options = new Map<string, string>();
  for (const option of list(node(header['OptionSet'])?.['Option'])) options.set(attribute(option, 'Name') ?? '', text(option).trim());
  const timeout = text(header['OperationTimeout']).trim();
  return {
    action: text(header['Action']).trim(),
    messageId: text(header['MessageID']).trim(),
    to: text(header['To']).trim(),
    resourceUri: text(header['ResourceURI']).trim(),
    operationTimeoutMs: timeout ? parseDuration(timeout) : undefined,
    selectors,
    options,
    body: node(envelope['Body']) ?? {},
  };
}

/** `rsp:CommandLine` → command and arguments. */
export function readCommandLine(body: Node): { command: string; args: string[] } | undefined {
  const commandLine = node(body['CommandLine']);
  if (!commandLine) return undefined;
  return { command: text(commandLine['Command']).trim(), args: list(commandLine['Arguments']).map((value) => text(value)) };
}

export function readDesiredStream(body: Node): { commandId: string | undefined } | undefined {
  const receive = node(body['Receive']);
  if (!receive) return undefined;
  return { commandId: attribute(receive['DesiredStream'], 'CommandId') };
}

export function readSignal(body: Node): { commandId: string | undefined; code: string } | undefined {
  const signal = node(body['Signal']);
  if (!signal) return undefined;
  return { commandId: attribute(signal, 'CommandId'), code: text(signal['Code']).trim() };
}

export function readSend(body: Node): Array<{ commandId: string | undefined; data: Buffer; end: boolean }> | undefined {
  const send = node(body['Send']);
  if (!send) return undefined;
  return list(send['Stream']).map((stream) => ({
    commandId: attribute(stream, 'CommandId'),
    data: Buffer.from(text(stream).trim(), 'base64'),
    end: attribute(stream, 'End')?.toLowerCase() === 'true',
  }));
}

export const newMessageId = () => `uuid:${randomUUID().toUpperCase()}`;

function envelope(action: string, relatesTo: string, body: unknown, namespaces: ReadonlyArray<keyof typeof NS>): string {
  const root: Node = { '@_xml:lang': 'en-US' };
  for (const prefix of namespaces) root[`@_xmlns:${prefix}`] = NS[prefix];
  root['s:Header'] = { 'a:Action': action, 'a:MessageID': newMessageId(), 'a:To': ANONYMOUS, 'a:RelatesTo': relatesTo };
  root['s:Body'] = body;
  // An empty body must still be written as <s:Body></s:Body>, as Windows does.
  return (builder.build({ 's:Envelope': root }) as string).replace('<s:Body/>', '<s:Body></s:Body>');
}

export interface ShellDescription {
  readonly shellId: string;
  readonly owner: string;
  readonly clientIp: string;
  readonly address: string;
  readonly inputStreams: string;
  readonly outputStreams: string;
  readonly idleTimeoutMs: number;
}

export function createResponse(request: WsmanRequest, shell: ShellDescription): string {
  const idle = `PT${(shell.idleTimeoutMs / 1000).toFixed(3)}S`;
  return envelope(
    'http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse',
    request.messageId,
    {
      'x:ResourceCreated': {
        'a:Address': shell.address,
        'a:ReferenceParameters': {
          'w:ResourceURI': CMD_SHELL_URI,
          'w:SelectorSet': { 'w:Selector': { '@_Name': 'ShellId', '#text': shell.shellId } },
        },
      },
      'rsp:Shell': {
        '@_xmlns:rsp': NS.rsp,
        'rsp:ShellId': shell.shellId,
        'rsp:ResourceUri': CMD_SHELL_URI,
        'rsp:Owner': shell.owner,
        'rsp:ClientIP': shell.clientIp,
        'rsp:IdleTimeOut': idle,
        'rsp:InputStreams': shell.inputStreams,
        'rsp:OutputStreams': shell.outputStreams,
        'rsp:ShellRunTime': 'P0DT0H0M0S',
        'rsp:ShellInactivity': 'P0DT0H0M0S',
      },
    },
    ['s', 'a', 'x', 'w', 'rsp', 'p'],
  );
}

export function commandResponse(request: WsmanRequest, commandId: string): string {
  return envelope(
    'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandResponse',
    request.messageId,
    { 'rsp:CommandResponse': { 'rsp:CommandId': commandId } },
    ['s', 'a', 'x', 'w', 'rsp', 'p'],
  );
}

export interface StreamChunk {
  readonly name: 'stdout' | 'stderr';
  readonly data: Buffer;
  readonly end: boolean;
}

export function receiveResponse(request: WsmanRequest, commandId: string, chunks: readonly StreamChunk[], exitCode: number | undefined): string {
  const streams = chunks.map((chunk) =>
    chunk.end && chunk.data.length === 0
      ? { '@_Name': chunk.name, '@_CommandId': commandId, '@_End': 'true', '#text': '' }
      : { '@_Name': chunk.name, '@_CommandId': commandId, ...(chunk.end ? { '@_End': 'true' } : {}), '#text': chunk.data.toString('base64') },
  );
  const state =
    exitCode === undefined
      ? { '@_CommandId': commandId, '@_State': COMMAND_STATE.running }
      : { '@_CommandId': commandId, '@_State': COMMAND_STATE.done, 'rsp:ExitCode': String(exitCode) };
  const xml = envelope(
    'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ReceiveResponse',
    request.messageId,
    { 'rsp:ReceiveResponse': { 'rsp:Stream': streams, 'rsp:CommandState': state } },
    ['s', 'a', 'w', 'rsp', 'p'],
  );
  // End markers are written as an explicit open/close pair by Windows, not as a self-closing element.
  return xml.replace(/<rsp:Stream ([^>]*?)\/>/g, '<rsp:Stream $1></rsp:Stream>');
}

/** Namespaces Windows declares on the envelope of Signal and Send responses. */
const SHELL_ACTION_NAMESPACES: ReadonlyArray<keyof typeof NS> = ['s', 'a', 'x', 'w', 'rsp', 'p'];

export function signalResponse(request: WsmanRequest): string {
  return envelope('http://schemas.microsoft.com/wbem/wsman/1/windows/shell/SignalResponse', request.messageId, { 'rsp:SignalResponse': '' }, SHELL_ACTION_NAMESPACES).replace('<rsp:SignalResponse></rsp:SignalResponse>', '<rsp:SignalResponse/>');
}

export function sendResponse(request: WsmanRequest): string {
  return envelope('http://schemas.microsoft.com/wbem/wsman/1/windows/shell/SendResponse', request.messageId, { 'rsp:SendResponse': '' }, SHELL_ACTION_NAMESPACES);
}

export function deleteResponse(request: WsmanRequest): string {
  return envelope('http://schemas.xmlsoap.org/ws/2004/09/transfer/DeleteResponse', request.messageId, '', ['s', 'a', 'w', 'p']);
}

export interface FaultDescription {
  readonly code: 's:Sender' | 's:Receiver';
  readonly subcode: string;
  readonly reason: string;
  readonly wsmanCode: number;
  readonly message: string;
  readonly faultDetail?: string;
  readonly providerFault?: string;
}

/** A shell or command id that names nothing: WinRM answers both with the same fault and its own message. */
function invalidSelectors(message: string): FaultDescription {
  return {
    code: 's:Sender',
    subcode: 'w:InvalidSelectors',
    reason: 'The WS-Management service cannot process the request because the request contained invalid selectors for the resource. ',
    wsmanCode: 2150858843,
    faultDetail: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors',
    message,
  };
}

export const WSMAN_FAULTS = {
  timedOut(): FaultDescription {
    const text = 'The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  ';
    return { code: 's:Receiver', subcode: 'w:TimedOut', reason: text, wsmanCode: 2150858793, message: text };
  },
  unknownShell(shellId: string): FaultDescription {
    return invalidSelectors(
      `The request for the Windows Remote Shell with ShellId ${shellId} failed because the shell was not found on the server. Possible causes are: the specified ShellId is incorrect or the shell no longer exists on the server. Provide the correct ShellId or create a new shell and retry the operation. `,
    );
  },
  unknownCommand(): FaultDescription {
    return invalidSelectors(
      'The Windows Remote Shell received a request to perform an operation on a command identifier that does not exist. Either the command has completed execution or the client specified an invalid command identifier. ',
    );
  },
  schemaValidation(detail: string): FaultDescription {
    return {
      code: 's:Sender',
      subcode: 'w:SchemaValidationError',
      reason: 'The SOAP XML in the message does not match the corresponding XML schema definition. Change the XML and retry. ',
      wsmanCode: 2150858817,
      message: `The Windows Remote Shell cannot process the request. The SOAP packet contains an element that is not valid. ${detail}`,
    };
  },
  actionNotSupported(action: string): FaultDescription {
    return {
      code: 's:Sender',
      subcode: 'a:ActionNotSupported',
      reason: 'The action is not supported by the service. ',
      wsmanCode: 2150858776,
      message: `The WS-Management service cannot process the request because the action ${action} is not supported. `,
    };
  },
  internalError(message: string): FaultDescription {
    return { code: 's:Receiver', subcode: 'w:InternalError', reason: message, wsmanCode: 2147500037, message };
  },
};

export function faultResponse(relatesTo: string, fault: FaultDescription, machine: string): string {
  const message = fault.providerFault
    ? { 'f:ProviderFault': { '@_provider': 'Shell cmd plugin', '@_path': '%systemroot%\\system32\\winrscmd.dll', '#text': fault.message } }
    : fault.message;
  const detail: Node = {};
  if (fault.faultDetail) detail['w:FaultDetail'] = fault.faultDetail;
  detail['f:WSManFault'] = { '@_xmlns:f': NS.f, '@_Code': String(fault.wsmanCode), '@_Machine': machine, 'f:Message': message };
  return envelope(
    'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault',
    relatesTo,
    {
      's:Fault': {
        's:Code': { 's:Value': fault.code, 's:Subcode': { 's:Value': fault.subcode } },
        's:Reason': { 's:Text': { '@_xml:lang': 'en-US', '#text': fault.reason } },
        's:Detail': detail,
      },
    },
    ['s', 'a', 'x', 'e', 'n', 'w', 'p'],
  );
}
