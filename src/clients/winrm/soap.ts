import { randomUUID } from 'node:crypto';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';

/** WS-Management SOAP messages for the Windows Remote Shell (MS-WSMV), built and parsed as XML trees. */

export const Namespace = {
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  addressing: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  wsman: 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd',
  wsmv: 'http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd',
  shell: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell',
} as const;

export const Action = {
  create: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Create',
  delete: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete',
  command: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command',
  receive: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive',
  signal: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal',
} as const;

export const CMD_RESOURCE_URI = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd';
export const ANONYMOUS_ADDRESS = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous';
export const SIGNAL_TERMINATE = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate';
export const COMMAND_STATE_DONE = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done';
/** pywinrm's MaxEnvelopeSize; big enough for every message this client sends. */
export const MAX_ENVELOPE_SIZE = 153600;

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: true, suppressBooleanAttributes: false });

/**
 * Namespace prefixes are dropped on parse: clients and servers pick different prefixes (`w:`/`wsman:`), and
 * WS-Man element names do not collide across the namespaces used here.
 */
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  isArray: (name) => ['Stream', 'Selector', 'Option', 'Arguments', 'Text'].includes(name),
});

export type XmlNode = Record<string, unknown>;

export interface RequestOptions {
  readonly action: string;
  readonly to: string;
  readonly operationTimeoutSeconds: number;
  readonly shellId?: string;
  /** `w:OptionSet` entries. */
  readonly options?: Readonly<Record<string, string>>;
  readonly body?: XmlNode;
  readonly messageId?: string;
}

export function buildRequest(request: RequestOptions): { xml: string; messageId: string } {
  const messageId = request.messageId ?? `uuid:${randomUUID().toUpperCase()}`;
  const header: XmlNode = {
    'a:To': request.to,
    'a:ReplyTo': { 'a:Address': { '@_s:mustUnderstand': 'true', '#text': ANONYMOUS_ADDRESS } },
    'w:MaxEnvelopeSize': { '@_s:mustUnderstand': 'true', '#text': String(MAX_ENVELOPE_SIZE) },
    'a:MessageID': messageId,
    'w:Locale': { '@_xml:lang': 'en-US', '@_s:mustUnderstand': 'false' },
    'p:DataLocale': { '@_xml:lang': 'en-US', '@_s:mustUnderstand': 'false' },
    'w:OperationTimeout': `PT${request.operationTimeoutSeconds}S`,
    'w:ResourceURI': { '@_s:mustUnderstand': 'true', '#text': CMD_RESOURCE_URI },
    'a:Action': { '@_s:mustUnderstand': 'true', '#text': request.action },
  };
  if (request.shellId) header['w:SelectorSet'] = { 'w:Selector': [{ '@_Name': 'ShellId', '#text': request.shellId }] };
  if (request.options) {
    header['w:OptionSet'] = {
      'w:Option': Object.entries(request.options).map(([name, value]) => ({ '@_Name': name, '#text': value })),
    };
  }
  const envelope = {
    's:Envelope': {
      '@_xmlns:s': Namespace.soap,
      '@_xmlns:a': Namespace.addressing,
      '@_xmlns:w': Namespace.wsman,
      '@_xmlns:p': Namespace.wsmv,
      '@_xmlns:rsp': Namespace.shell,
      's:Header': header,
      's:Body': request.body ?? '',
    },
  };
  return { xml: builder.build(envelope) as string, messageId };
}

export const bodies = {
  createShell(): XmlNode {
    return { 'rsp:Shell': { 'rsp:InputStreams': 'stdin', 'rsp:OutputStreams': 'stdout stderr' } };
  },
  command(command: string, args: readonly string[]): XmlNode {
    return { 'rsp:CommandLine': { 'rsp:Command': command, 'rsp:Arguments': [...args] } };
  },
  receive(commandId: string): XmlNode {
    return { 'rsp:Receive': { 'rsp:DesiredStream': { '@_CommandId': commandId, '#text': 'stdout stderr' } } };
  },
  signal(commandId: string, code: string): XmlNode {
    return { 'rsp:Signal': { '@_CommandId': commandId, 'rsp:Code': code } };
  },
};

export class SoapFormatError extends Error {
  override readonly name = 'SoapFormatError';
}

export function parseEnvelope(xml: string): { header: XmlNode; body: XmlNode } {
  let document: XmlNode;
  try {
    document = parser.parse(xml, true) as XmlNode;
  } catch (error) {
    throw new SoapFormatError(`WinRM answered with malformed XML: ${(error as Error).message}`);
  }
  const envelope = asNode(document['Envelope']);
  if (!envelope) throw new SoapFormatError('WinRM answered without a SOAP envelope');
  return { header: asNode(envelope['Header']) ?? {}, body: asNode(envelope['Body']) ?? {} };
}

export function asNode(value: unknown): XmlNode | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as XmlNode) : undefined;
}

export function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** Text content of an element parsed either as a plain string or as a node with attributes. */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = asNode(value);
  if (!node) return '';
  const text = node['#text'];
  return typeof text === 'string' ? text : '';
}

export function attributeOf(value: unknown, name: string): string | undefined {
  const attribute = asNode(value)?.[`@_${name}`];
  return typeof attribute === 'string' ? attribute : undefined;
}

export function parseShellId(body: XmlNode): string {
  const created = asNode(body['ResourceCreated']);
  const selectors = asArray(asNode(asNode(asNode(created?.['ReferenceParameters'])?.['SelectorSet']))?.['Selector']);
  const selector = selectors.find((entry) => attributeOf(entry, 'Name') === 'ShellId');
  const shellId = selector !== undefined ? textOf(selector) : textOf(asNode(body['Shell'])?.['ShellId']);
  if (!shellId) throw new SoapFormatError('WinRM CreateResponse carries no ShellId');
  return shellId.trim();
}

export function parseCommandId(body: XmlNode): string {
  const commandId = textOf(asNode(body['CommandResponse'])?.['CommandId']);
  if (!commandId) throw new SoapFormatError('WinRM CommandResponse carries no CommandId');
  return commandId.trim();
}

export interface ReceivedOutput {
  readonly stdout: Buffer[];
  readonly stderr: Buffer[];
  readonly done: boolean;
  readonly exitCode?: number;
}

export function parseReceiveResponse(body: XmlNode, commandId: string): ReceivedOutput {
  const response = asNode(body['ReceiveResponse']);
  if (!response) throw new SoapFormatError('WinRM answered Receive without a ReceiveResponse');
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  for (const stream of asArray(response['Stream'])) {
    const id = attributeOf(stream, 'CommandId');
    if (id !== undefined && id.toUpperCase() !== commandId.toUpperCase()) continue;
    const data = Buffer.from(textOf(stream).trim(), 'base64');
    if (data.length === 0) continue;
    const name = attributeOf(stream, 'Name');
    if (name === 'stdout') stdout.push(data);
    else if (name === 'stderr') stderr.push(data);
  }
  const state = asNode(response['CommandState']);
  const done = attributeOf(state, 'State') === COMMAND_STATE_DONE;
  const exitCodeText = textOf(state?.['ExitCode']).trim();
  const exitCode = exitCodeText === '' ? undefined : Number(exitCodeText);
  return { stdout, stderr, done, ...(exitCode !== undefined && Number.isFinite(exitCode) ? { exitCode } : {}) };
}
