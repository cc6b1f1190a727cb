import { XMLParser } from 'fast-xml-parser';

/**
 * powershell.exe writes its error stream as CLIXML when it is not attached to a console (as under WinRS):
 * `#< CLIXML` followed by `<Objs>` with one `<S S="Error">` per formatted line, where control characters
 * are escaped as `_xHHHH_`. This turns it back into text and into one message per error record.
 */
export const CLIXML_MARKER = '#< CLIXML';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  trimValues: false,
  preserveOrder: true,
});

/** Reverses PowerShell's `_xHHHH_` escaping (XmlConvert.EncodeName style) of characters in strings. */
export function unescapeClixmlString(text: string): string {
  return text.replace(/_x([0-9A-Fa-f]{4})_/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

export interface DecodedStderr {
  /** Readable text of the error stream (CLIXML unwrapped, or the raw text when it is not CLIXML). */
  readonly text: string;
  /** One readable message per PowerShell error record. */
  readonly errors: string[];
}

interface OrderedNode {
  [tag: string]: OrderedNode[] | string | Record<string, string> | undefined;
}

function errorLines(nodes: OrderedNode[], into: string[]): void {
  for (const node of nodes) {
    for (const [tag, children] of Object.entries(node)) {
      if (tag === ':@' || tag === '#text' || !Array.isArray(children)) continue;
      const attributes = node[':@'] as Record<string, string> | undefined;
      if (tag === 'S' && attributes?.['@_S'] === 'Error') {
        into.push(unescapeClixmlString(children.map((child) => (typeof child['#text'] === 'string' ? child['#text'] : '')).join('')));
      } else if (tag !== 'S') {
        errorLines(children, into);
      }
    }
  }
}

export function decodeStderr(stderr: string): DecodedStderr {
  const trimmed = stderr.trimStart();
  if (!trimmed.startsWith(CLIXML_MARKER)) {
    const text = stderr.trim();
    return { text, errors: text ? [text] : [] };
  }
  // Several CLIXML documents can follow each other (one per flush); each starts with its own marker.
  const lines: string[] = [];
  for (const part of trimmed.split(CLIXML_MARKER)) {
    const xml = part.trim();
    if (!xml) continue;
    try {
      errorLines(parser.parse(xml) as OrderedNode[], lines);
    } catch {
      lines.push(xml);
    }
  }
  const text = lines.join('').replace(/\r\n/g, '\n').trim();
  return { text, errors: splitErrorRecords(text) };
}

/**
 * The default error view prints each record as `<command> : <message>`, an optional `At line:` position
 * block, and `+ CategoryInfo` / `+ FullyQualifiedErrorId` lines. Keep the message of each record.
 */
function splitErrorRecords(text: string): string[] {
  if (!text) return [];
  const records: string[] = [];
  let current: string[] = [];
  let inDetails = false;
  const flush = () => {
    const message = current.join(' ').replace(/\s+/g, ' ').trim();
    if (message) records.push(message.replace(/^[A-Z][A-Za-z]*-[A-Za-z]+ : /, ''));
    current = [];
    inDetails = false;
  };
  for (const line of text.split('\n')) {
    if (/^\s*\+ FullyQualifiedErrorId\b/.test(line)) {
      flush();
      continue;
    }
    if (/^At line:\d+ char:\d+/.test(line) || /^\s*\+ /.test(line) || /^\s*\+\s*~+/.test(line)) {
      inDetails = true;
      continue;
    }
    if (!inDetails) current.push(line);
  }
  flush();
  return records;
}
