/**
 * Output formatting as Windows PowerShell 5.1 (powershell.exe, what WinRM runs) produces it:
 * `ConvertTo-Json` with its JavaScriptSerializer escaping and its peculiar pretty-printing (two spaces after
 * the colon, nested blocks indented from the column of their opening bracket), and Out-Default's
 * table/list views. Lines end with CRLF as on Windows.
 */
import { PsDateTime, PsEnum, PsHashtable, PsObject, PsScriptBlock, PsTypeName, formatNumber, toPsString } from './values.ts';
import type { PsValue } from './values.ts';

export const NEWLINE = '\r\n';

/** JavaScriptSerializer's string escaping (it also escapes <, >, & and ' as \u00XX). */
export function jsonString(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (code < 0x20 || ch === '<' || ch === '>' || ch === '&' || ch === "'") out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

type JsonNode = { kind: 'raw'; text: string } | { kind: 'array'; items: JsonNode[] } | { kind: 'object'; entries: Array<[string, JsonNode]> };

function toJsonNode(value: PsValue, depth: number, maxDepth: number): JsonNode {
  if (value === null) return { kind: 'raw', text: 'null' };
  if (typeof value === 'string') return { kind: 'raw', text: jsonString(value) };
  if (typeof value === 'number') return { kind: 'raw', text: Number.isFinite(value) ? formatNumber(value) : jsonString(formatNumber(value)) };
  if (typeof value === 'boolean') return { kind: 'raw', text: value ? 'true' : 'false' };
  if (value instanceof PsEnum) return { kind: 'raw', text: String(value.value) };
  if (value instanceof PsDateTime) return { kind: 'raw', text: `"\\/Date(${value.date.getTime()})\\/"` };
  if (value instanceof PsScriptBlock || value instanceof PsTypeName) return { kind: 'raw', text: jsonString(toPsString(value)) };
  if (depth > maxDepth) return { kind: 'raw', text: jsonString(toPsString(value)) };
  if (Array.isArray(value)) return { kind: 'array', items: value.map((item) => toJsonNode(item, depth + 1, maxDepth)) };
  if (value instanceof PsHashtable) {
    return { kind: 'object', entries: [...value.entries.values()].map((entry) => [entry.key, toJsonNode(entry.value, depth + 1, maxDepth)]) };
  }
  return { kind: 'object', entries: value.names().map((name) => [name, toJsonNode(value.get(name) ?? null, depth + 1, maxDepth)]) };
}

function compressed(node: JsonNode): string {
  if (node.kind === 'raw') return node.text;
  if (node.kind === 'array') return `[${node.items.map(compressed).join(',')}]`;
  return `{${node.entries.map(([key, value]) => `${jsonString(key)}:${compressed(value)}`).join(',')}}`;
}

/** 5.1 layout: a nested block's members sit 4 columns right of its opening bracket, which sits where the value starts. */
function pretty(node: JsonNode, column: number): string {
  if (node.kind === 'raw') return node.text;
  const inner = ' '.repeat(column + 4);
  const closing = ' '.repeat(column);
  if (node.kind === 'array') {
    if (node.items.length === 0) return `[${NEWLINE}${NEWLINE}${closing}]`;
    return `[${NEWLINE}${node.items.map((item) => inner + pretty(item, column + 4)).join(`,${NEWLINE}`)}${NEWLINE}${closing}]`;
  }
  if (node.entries.length === 0) return `{${NEWLINE}${NEWLINE}${closing}}`;
  const lines = node.entries.map(([key, value]) => {
    const prefix = `${jsonString(key)}:  `;
    return `${inner}${prefix}${pretty(value, column + 4 + prefix.length)}`;
  });
  return `{${NEWLINE}${lines.join(`,${NEWLINE}`)}${NEWLINE}${closing}}`;
}

export function convertToJson(value: PsValue, options: { depth: number; compress: boolean }): string {
  const node = toJsonNode(value, 0, options.depth);
  return options.compress ? compressed(node) : pretty(node, 0);
}

function propertyRows(value: PsValue): Array<[string, string]> {
  if (value instanceof PsHashtable) return [...value.entries.values()].map((entry) => [entry.key, formatCell(entry.value)]);
  if (value instanceof PsObject) return value.names().map((name) => [name, formatCell(value.get(name) ?? null)]);
  return [];
}

function formatCell(value: PsValue): string {
  if (Array.isArray(value)) return `{${value.map((item) => toPsString(item)).join(', ')}}`;
  return toPsString(value);
}

function formatTable(objects: Array<PsObject | PsHashtable>): string[] {
  const isHashtable = objects[0] instanceof PsHashtable;
  const view = isHashtable ? undefined : (objects[0] as PsObject).tableView;
  const columns = isHashtable ? ['Name', 'Value'] : view ? view.map((column) => column.label) : (objects[0] as PsObject).names();
  const cell = (object: PsObject, index: number): string => {
    const column = view?.[index];
    if (!column) return formatCell(object.get(columns[index]!) ?? null);
    const value = object.get(column.property) ?? null;
    return column.format ? column.format(value) : formatCell(value);
  };
  const rows = isHashtable
    ? objects.flatMap((table) => propertyRows(table).map(([key, value]) => [key, value]))
    : objects.map((object) => columns.map((_, index) => cell(object as PsObject, index)));
  const widths = columns.map((column, index) => Math.max(column.length, ...rows.map((row) => (row[index] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, index) => (index === cells.length - 1 ? cell : cell.padEnd(widths[index]!))).join(' ').trimEnd();
  return ['', line(columns), line(columns.map((column) => '-'.repeat(column.length))), ...rows.map(line), ''];
}

function formatList(object: PsObject): string[] {
  const rows = propertyRows(object);
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows.map(([name, value]) => `${name.padEnd(width)} : ${value}`);
}

/** Formats objects as Out-Default/Out-String do: scalars one per line, objects as tables (≤4 properties) or lists. */
export function formatForHost(items: PsValue[]): string {
  const lines: string[] = [];
  let group: Array<PsObject | PsHashtable> = [];
  let groupKey = '';
  const flush = () => {
    if (group.length === 0) return;
    if (group[0] instanceof PsObject && !(group[0] as PsObject).tableView && (group[0] as PsObject).names().length > 4) {
      lines.push('');
      for (const object of group) lines.push(...formatList(object as PsObject), '');
    } else lines.push(...formatTable(group));
    group = [];
  };
  for (const item of items) {
    if (item instanceof PsObject && item.native?.kind === 'error') {
      flush();
      lines.push(item.toDisplayString());
      continue;
    }
    if (item instanceof PsObject || item instanceof PsHashtable) {
      const key = item instanceof PsHashtable ? '#hashtable' : `${item.typeNames[0]}|${item.names().join(',')}`;
      if (key !== groupKey) flush();
      groupKey = key;
      group.push(item);
      continue;
    }
    flush();
    groupKey = '';
    if (item === null) continue;
    lines.push(Array.isArray(item) ? item.map((element) => toPsString(element)).join(NEWLINE) : toPsString(item));
  }
  flush();
  return lines.length === 0 ? '' : lines.join(NEWLINE) + NEWLINE;
}
