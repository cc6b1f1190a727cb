import { asArray, asNode, attributeOf, textOf } from './soap.ts';
import type { XmlNode } from './soap.ts';

/** WSManFault code of the normal "no output yet" answer to Receive (0x80338029): poll again. */
export const WSMAN_TIMED_OUT = 2150858793;

/** A SOAP fault from the WinRM service, with its codes kept for callers that branch on them. */
export class WinRmFaultError extends Error {
  override readonly name = 'WinRmFaultError';
  constructor(
    message: string,
    /** SOAP code and subcode as sent, e.g. `s:Receiver` / `w:TimedOut`. */
    readonly code: string,
    readonly subcode: string | undefined,
    /** The WSManFault `Code` attribute (a Win32/WinRM error number), when present. */
    readonly wsmanCode: number | undefined,
  ) {
    super(message);
  }

  get isTimedOut(): boolean {
    return this.wsmanCode === WSMAN_TIMED_OUT || this.subcode?.endsWith(':TimedOut') === true;
  }
}

/** Flattens `f:Message`, which may wrap its text in `f:ProviderFault` or other elements. */
function collectText(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = asNode(value);
  if (!node) return asArray(value).map(collectText).join(' ');
  return Object.entries(node)
    .filter(([key]) => !key.startsWith('@_'))
    .map(([, child]) => collectText(child))
    .join(' ');
}

const squeeze = (text: string) => text.replace(/\s+/g, ' ').trim();

/** Turns `s:Body/s:Fault` into an error, or returns undefined when the body is not a fault. */
export function readFault(body: XmlNode): WinRmFaultError | undefined {
  const fault = asNode(body['Fault']);
  if (!fault) return undefined;
  const code = asNode(fault['Code']);
  const value = textOf(code?.['Value']).trim();
  const subcode = textOf(asNode(code?.['Subcode'])?.['Value']).trim() || undefined;
  const reason = squeeze(asArray(asNode(fault['Reason'])?.['Text']).map(textOf).join(' '));
  const wsmanFault = asNode(asNode(fault['Detail'])?.['WSManFault']);
  const wsmanCodeText = attributeOf(wsmanFault, 'Code');
  const wsmanCode = wsmanCodeText !== undefined && /^\d+$/.test(wsmanCodeText) ? Number(wsmanCodeText) : undefined;
  const detailMessage = squeeze(collectText(wsmanFault?.['Message']));
  const text = detailMessage || reason || 'unknown WinRM fault';
  const label = [subcode ?? value, wsmanCode !== undefined ? `code ${wsmanCode}` : undefined].filter(Boolean).join(', ');
  return new WinRmFaultError(`WinRM fault (${label}): ${text}`, value, subcode, wsmanCode);
}
